/**
 * Declarative R4 -> R5 conversion rules, keyed by R4 type name (resource, datatype, or backbone
 * path such as `Encounter.hospitalization`) and then by R4 element name (choice without [x]) or,
 * for one type of a choice, by its JSON key (`reportedReference`).
 * Anything a rule does not mention is converted by the generic, model-driven path: same name,
 * datatype bridges (Coding -> CodeableConcept, CodeableConcept/Reference -> CodeableReference,
 * single -> array, ...), or carried as a cross-version extension when R5 has no home for it.
 */
export interface ElementRule {
  /** R5 element name (or full JSON key such as `networkString`) in the R5 parent. */
  to?: string;
  /** Place the value on the resource root instead of the converted parent (e.g. hospitalization.dietPreference). */
  toRoot?: true;
  /** Each value becomes an object of the R5 target type holding the value under this element. */
  wrap?: string;
  /** Constant siblings added to each wrapper created by `wrap`. */
  with?: Record<string, unknown>;
  /** All values of the element go into one wrapper instead of one wrapper each. */
  group?: true;
  /** Code translation R4 -> R5 (HL7 xver ConceptMaps); codes not listed are kept as they are. */
  codes?: Record<string, string>;
  /** Code system for a code that R5 types as Coding or CodeableConcept. */
  system?: string;
  /** Reshapes one R4 value into the R5 target's datatype when no generic bridge fits. */
  transform?: (value: unknown) => unknown;
  /** The R4 backbone disappears in R5: its children are converted into the current parent. */
  flatten?: true;
  /** No R5 home by design: always carried as an extension, with this reason in the issue. */
  carry?: string;
}

export interface TypeRules {
  elements?: Record<string, ElementRule>;
  /** Constants an R5 type requires that the R4 type implies (e.g. Coverage.kind = insurance). */
  set?: Record<string, unknown>;
}

export type RuleTable = Record<string, TypeRules>;
