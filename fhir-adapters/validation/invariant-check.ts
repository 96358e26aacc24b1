import { evalFhirPathTyped, parseFhirPath, toTypedValue, type TypedValue } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Invariant, InvariantModel } from './invariant-extraction.js';
import type { CompiledModel, CompiledType, KeyedElement } from './validation-model.js';

type Atom = ReturnType<typeof parseFhirPath>;
interface CompiledInvariant extends Invariant {
  atom: Atom;
  /**
   * Element-name sets of the context, one per part of the expression that makes it true on its
   * own (the whole expression, or one operand of a top-level `or`), for the parts known to be
   * true when none of their names is present: a node lacking every name of one of them holds
   * without running FHIRPath. Most invariants test elements most nodes lack.
   */
  shortcuts: ReadonlyArray<ReadonlySet<string>>;
}

/** What makes an expression depend on more than the context's own elements. */
const READS_BEYOND_NAMES = /%|\$this|\b(children|descendants|hasValue|repeat|trace)\(/;

/**
 * DomainResource's invariants on contained resources (dom-2 `contained.contained.empty()`, dom-4
 * `contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()`, dom-5
 * `contained.meta.security.empty()`): every path of theirs starts at `contained`, so they hold on
 * any resource without contained resources (dom-4's `and` keeps the generic shortcut from
 * seeing it).
 */
const CONTAINED_ONLY = new Set(['dom-2', 'dom-4', 'dom-5']);
const CONTAINED: ReadonlySet<string> = new Set(['contained']);

/** UCUM's system URI, the `%ucum` of the FHIRPath specification. */
const UCUM = toTypedValue('http://unitsofmeasure.org');

/**
 * Evaluates a release's FHIRPath invariants over a resource the structure check accepted: each
 * type's and element's invariants on every node of that type present in the resource (contained
 * resources and Bundle entries included, with their own %resource). Expressions are parsed once,
 * on first use of their context. A failed invariant is an `invariant` error naming its key and
 * expression; one that cannot be evaluated (an engine limitation, not the resource's fault) is
 * not held against the resource.
 */
export class InvariantChecker {
  private readonly compiled = new Map<string, CompiledInvariant[]>();
  /** Whether a type has invariants on itself or anywhere below it: the walk skips the rest. */
  private readonly relevant = new Map<string, boolean>();
  private readonly elementInvariants = new Map<KeyedElement, CompiledInvariant[]>();

  constructor(
    private readonly model: CompiledModel,
    private readonly invariants: InvariantModel,
  ) {}

  check(resource: unknown, issues: OperationOutcomeIssue[]): void {
    if (!isObject(resource) || typeof resource.resourceType !== 'string') return;
    const type = this.model.types.get(resource.resourceType);
    if (!type) return;
    const root = toTypedValue(resource);
    this.object(resource, type, type.name, { root, resource: root }, issues);
  }

  private object(obj: Record<string, unknown>, type: CompiledType, path: string, scope: Scope, issues: OperationOutcomeIssue[]): void {
    const own = this.forContext(type.name);
    if (own.length > 0) this.evaluate(own, obj, type.kind === 'resource' ? scope.resource : { type: type.name, value: obj }, path, scope, issues, type);
    for (const key in obj) {
      const el = type.byKey.get(key);
      if (!el) continue;
      const child = this.model.types.get(el.typeName);
      if (!child) continue;
      const elementInvariants = this.onElement(type, el);
      const descend = child.kind === 'resource' || (child.kind !== 'primitive' && this.hasInvariantsBelow(child));
      if (elementInvariants.length === 0 && !descend) continue;
      const value = obj[key];
      const values = Array.isArray(value) ? value : [value];
      for (let i = 0; i < values.length; i++) {
        const item = values[i];
        const itemPath = Array.isArray(value) ? `${path}.${key}[${i}]` : `${path}.${key}`;
        if (elementInvariants.length > 0) this.evaluate(elementInvariants, item, { type: el.typeName, value: item }, itemPath, scope, issues);
        if (!descend || !isObject(item)) continue;
        if (child.kind === 'resource') {
          const inner = this.model.types.get(String(item.resourceType));
          if (!inner) continue;
          const typed = toTypedValue(item);
          this.object(item, inner, itemPath, { root: scope.root, resource: typed }, issues);
        } else {
          this.object(item, child, itemPath, scope, issues);
        }
      }
    }
  }

  private evaluate(
    invariants: CompiledInvariant[],
    value: unknown,
    typed: TypedValue,
    path: string,
    scope: Scope,
    issues: OperationOutcomeIssue[],
    type?: CompiledType,
  ): void {
    if (value === undefined || value === null) return;
    const variables = { '%context': typed, '%resource': scope.resource, '%rootResource': scope.root, '%ucum': UCUM };
    for (const invariant of invariants) {
      if (type && invariant.shortcuts.some((names) => !reads(value as Record<string, unknown>, type, names))) continue;
      if (!holds(invariant.atom, typed, variables)) {
        issues.push({
          severity: 'error',
          code: 'invariant',
          details: { text: `Constraint ${invariant.key} failed: ${invariant.human}` },
          diagnostics: invariant.expression,
          expression: [path],
        });
      }
    }
  }

  /** Invariants declared on an element (not on its type): none for a backbone, whose type is named by its path and carries them. */
  private onElement(type: CompiledType, el: KeyedElement): CompiledInvariant[] {
    let list = this.elementInvariants.get(el);
    if (!list) {
      const context = `${type.name}.${el.name}`;
      list = el.typeName === context ? [] : this.forContext(context);
      this.elementInvariants.set(el, list);
    }
    return list;
  }

  private hasInvariantsBelow(type: CompiledType): boolean {
    const known = this.relevant.get(type.name);
    if (known !== undefined) return known;
    // Recursive types (Questionnaire.item in Questionnaire.item) count as irrelevant while being decided.
    this.relevant.set(type.name, false);
    let found = type.name in this.invariants.contexts;
    for (const el of type.byKey.values()) {
      if (found) break;
      const child = this.model.types.get(el.typeName);
      found = `${type.name}.${el.name}` in this.invariants.contexts || child?.kind === 'resource' || (!!child && child.kind !== 'primitive' && this.hasInvariantsBelow(child));
    }
    this.relevant.set(type.name, found);
    return found;
  }

  private forContext(context: string): CompiledInvariant[] {
    let list = this.compiled.get(context);
    if (!list) {
      const type = this.model.types.get(context);
      list = (this.invariants.contexts[context] ?? []).map((invariant) => {
        const atom = parseFhirPath(invariant.expression);
        if (!type) return { ...invariant, atom, shortcuts: [] };
        if (CONTAINED_ONLY.has(invariant.key)) return { ...invariant, atom, shortcuts: [CONTAINED] };
        const empty: TypedValue = { type: context, value: {} };
        const shortcuts: Set<string>[] = [];
        for (const part of topLevelOr(invariant.expression)) {
          const chain = emptyChainStart(part);
          if (chain) shortcuts.push(new Set([chain]));
          else if (!READS_BEYOND_NAMES.test(part) && holds(parseFhirPath(part), empty, { '%context': empty, '%ucum': UCUM })) shortcuts.push(identifiers(part));
        }
        return { ...invariant, atom, shortcuts };
      });
      this.compiled.set(context, list);
    }
    return list;
  }
}

/** Whether any of `names` is an element present on the node (a choice counts under its name). */
function reads(obj: Record<string, unknown>, type: CompiledType, names: ReadonlySet<string>): boolean {
  for (const key in obj) {
    const el = type.byKey.get(key.charCodeAt(0) === 95 /* _ */ ? key.slice(1) : key);
    if (el && names.has(el.name)) return true;
  }
  return false;
}

/** The operands of a top-level `or` (the expression itself when it has none). */
function topLevelOr(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && expression.startsWith(' or ', i)) {
      parts.push(expression.slice(start, i));
      start = i + 4;
      i += 3;
    }
  }
  parts.push(expression.slice(start));
  return parts.map((part) => part.trim()).map((part) => (part.startsWith('(') && part.endsWith(')') && balanced(part.slice(1, -1)) ? part.slice(1, -1).trim() : part));
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const c of text.replace(/'(?:[^'\\]|\\.)*'/g, "''")) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** Functions that give an empty collection for an empty input, whatever their arguments. */
const EMPTY_PRESERVING = new Set(['where', 'select', 'ofType', 'as', 'first', 'last', 'tail', 'distinct']);

/**
 * For `name.step.….empty()`, a single path from the context ending in empty() whose functions
 * all keep an empty input empty: `name`, whose absence makes it true whatever the arguments
 * read (a where() over nothing evaluates nothing). Null for any other shape.
 */
function emptyChainStart(part: string): string | null {
  // Arguments dropped: `where(a.b(c))` becomes `where()`.
  let collapsed = '';
  let depth = 0;
  for (const c of part.replace(/'(?:[^'\\]|\\.)*'/g, "''")) {
    if (c === '(') depth++;
    if (depth === 0 || (depth === 1 && c === '(')) collapsed += c;
    if (c === ')') depth--;
    if (depth === 0 && c === ')') collapsed += c;
  }
  const match = /^([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*(?:\(\))?)*)\.empty\(\)$/.exec(collapsed);
  if (!match) return null;
  for (const step of match[2].matchAll(/\.([A-Za-z_]\w*)\(\)/g)) if (!EMPTY_PRESERVING.has(step[1])) return null;
  return match[1];
}

/** Every identifier in the expression outside string literals: a superset of the element names it reads. */
function identifiers(expression: string): Set<string> {
  const names = new Set<string>();
  for (const match of expression.replace(/'(?:[^'\\]|\\.)*'/g, "''").matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) names.add(match[0]);
  return names;
}

/** An invariant holds when it evaluates to exactly `true`; one the engine cannot evaluate is not held against the resource. */
function holds(atom: Atom, typed: TypedValue, variables: Record<string, TypedValue>): boolean {
  let result: TypedValue[];
  try {
    result = evalFhirPathTyped(atom, [typed], variables);
  } catch {
    return true;
  }
  return result.length === 1 && result[0].value === true;
}

interface Scope {
  root: TypedValue;
  resource: TypedValue;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
