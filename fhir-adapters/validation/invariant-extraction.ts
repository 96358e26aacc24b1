import type { StructureDefinition } from '@medplum/fhirtypes';

/** One FHIRPath invariant (ElementDefinition.constraint) of severity error, as the validator evaluates it. */
export interface Invariant {
  key: string;
  expression: string;
  human: string;
}

/** An invariant the validator does not evaluate, and why. */
export interface SkippedInvariant {
  key: string;
  context: string;
  reason: string;
}

/**
 * The invariants of a release, by where they are evaluated: a type name (a resource, a datatype,
 * or a backbone element's path, which is its type name in the compact model) for invariants on
 * the type's root, or `Type.element` for invariants declared on an element whose type is not
 * a backbone (evaluated on each of its values).
 */
export interface InvariantModel {
  fhirVersion: string;
  source: string;
  contexts: Record<string, Invariant[]>;
  skipped: SkippedInvariant[];
}

/**
 * Functions whose result depends on something outside the resource (other resources, profiles,
 * terminology servers) or that the FHIRPath engine here cannot evaluate on R5 (htmlChecks, the
 * XHTML rules of Narrative.div; descendants()): an invariant using one is skipped and listed,
 * never guessed.
 */
const EXTERNAL: ReadonlyArray<[RegExp, string]> = [
  [/\bresolve\(/, 'resolve() needs the referenced resource'],
  [/\bconformsTo\(/, 'conformsTo() needs the profile'],
  [/\bmemberOf\(/, 'memberOf() needs the value set expansion'],
  [/\bsubsumes(dBy)?\(/, 'subsumes() needs a terminology server'],
  [/%terminologies/, '%terminologies needs a terminology server'],
  [/\bhtmlChecks\(/, 'htmlChecks() (the XHTML rules of Narrative.div) is not implemented'],
  // @medplum/core walks descendants() through its own type schema, which holds R4 (if anything):
  // on R5 JSON it finds nothing, so dom-3 would refuse every resource with contained resources.
  [/\bdescendants\(\)/, "descendants() needs @medplum/core's type schema, which has no R5 types"],
];

/**
 * R5 invariants that resources valid in R4 fail once converted: R5 requires what R4 did not
 * (a processingMode, a derivation, a relationship), or the converter carries the R4 element only
 * as an extension. The node accepts R4, so they are skipped on both bases rather than refusing
 * R4-valid input (found by fhir-adapters/conversion/medplum-r4-corpus.test.ts).
 */
const CROSS_VERSION_GAPS: ReadonlyMap<string, string> = new Map([
  ['bdl-15', 'R4 entries of collection, document, history and searchset Bundles need no fullUrl'],
  ['spd-1', 'R4 SearchParameters with an expression need no xpathUsage; R5 requires processingMode'],
  ['sdf-27', 'R4 StructureDefinitions may have a baseDefinition without a derivation'],
  ['opd-1', "R4 parameters of type 'Any' convert to an extension (R5 has no 'Any' type), leaving neither type nor part"],
  ['cmd-3', 'ConceptMap.group.unmapped.url of R4 is carried as an extension, not as R5 otherMap'],
  ['cmd-5', 'R4 ConceptMap elements may have neither code nor value set'],
  ['cmd-9', "R4 unmapped modes other than 'other-map' have no relationship, which R5 requires"],
]);

/**
 * Datatype invariants (per-1, qty-3, ref-1, ext-1...) hold on every value of their type, a dozen
 * per resource: with @medplum/core's FHIRPath they took conversion + validation from 15 to over
 * 100 µs per resource (docs/validation.md), far beyond the intake budget. Resource invariants are
 * evaluated; these are skipped and listed.
 */
const DATATYPE_COST = 'datatype invariant: evaluated on every value of the type, beyond the intake budget';

/**
 * Resource invariants too slow for intake: sdf-24 and sdf-25 compare every snapshot element with
 * every other (quadratic), ~16 ms per StructureDefinition, 95% of the invariant time over the
 * 11,326 R4 definitions medplum ships.
 */
const TOO_SLOW: ReadonlyMap<string, string> = new Map([
  ['sdf-24', 'quadratic in the snapshot elements (~16 ms per StructureDefinition)'],
  ['sdf-25', 'quadratic in the snapshot elements (~16 ms per StructureDefinition)'],
]);

/**
 * Invariants of severity error from base StructureDefinition snapshots. ele-1 (every element has
 * a value or children) is left out: the structure check refuses empty objects, arrays and
 * strings already. Invariants an element inherits from its datatype are evaluated on the
 * datatype's root instead, once per value; a backbone's own ones on the backbone type.
 */
export function extractInvariants(definitions: readonly StructureDefinition[], fhirVersion: string, source: string): InvariantModel {
  const contexts: Record<string, Invariant[]> = {};
  const skipped: SkippedInvariant[] = [];
  const bases = definitions.filter((sd) => sd.derivation !== 'constraint' && (sd.kind === 'resource' || sd.kind === 'complex-type'));
  // A datatype's own invariants, which its snapshot root carries and which some elements of that type repeat.
  const rootKeys = new Map(bases.map((sd) => [sd.type ?? '', new Set((sd.snapshot?.element?.[0]?.constraint ?? []).map((c) => c.key))]));
  for (const sd of bases) {
    const elements = sd.snapshot?.element ?? [];
    const type = sd.type ?? '';
    for (const el of elements) {
      const path = (el.path ?? '').replace(/\[x\]$/, '');
      const root = path === type;
      for (const constraint of el.constraint ?? []) {
        if (constraint.severity !== 'error' || constraint.key === 'ele-1' || !constraint.key || !constraint.expression) continue;
        // Inherited from the element's datatype (or Element/BackboneElement): evaluated there.
        if (!root && constraint.source && constraint.source !== sd.url) continue;
        if (!root && el.type?.some((t) => rootKeys.get(t.code ?? '')?.has(constraint.key))) continue;
        const reason =
          CROSS_VERSION_GAPS.get(constraint.key) ??
          TOO_SLOW.get(constraint.key) ??
          EXTERNAL.find(([pattern]) => pattern.test(constraint.expression!))?.[1] ??
          (sd.kind === 'complex-type' ? DATATYPE_COST : undefined);
        if (reason) {
          if (!skipped.some((s) => s.key === constraint.key && s.context === path)) skipped.push({ key: constraint.key, context: path, reason });
          continue;
        }
        const list = (contexts[path] ??= []);
        if (!list.some((i) => i.key === constraint.key)) list.push({ key: constraint.key, expression: constraint.expression, human: constraint.human ?? '' });
      }
    }
  }
  const sorted: Record<string, Invariant[]> = {};
  for (const name of Object.keys(contexts).sort()) sorted[name] = contexts[name];
  skipped.sort((a, b) => a.context.localeCompare(b.context) || a.key.localeCompare(b.key));
  return { fhirVersion, source, contexts: sorted, skipped };
}
