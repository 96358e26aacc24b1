// The search parameters the node supports, taken from the R5 SearchParameter definitions the
// project installs (hl7.fhir.r5.core) rather than written by hand. Each definition's FHIRPath
// expression is compiled once per resource type into element steps, which the indexer walks at
// intake speed (no FHIRPath engine per write). An alternative of an expression that is not one
// of the simple shapes below is left out, and a type left with none does not get the parameter:
// the CapabilityStatement lists only what compiled, so what is advertised is what is indexed.
//
// Shapes compiled: `Type.a.b`, `Type.a.ofType(X)` / `(Type.a as X)`, `.where(resolve() is X)`,
// `.first()`.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type CatalogParamType = 'token' | 'string' | 'date' | 'reference' | 'quantity';

/** The codes taken from the R5 definitions, with `_id` and `_lastUpdated` handled by the engine. */
export const SUPPORTED_CODES: readonly string[] = [
  'identifier',
  'name',
  'family',
  'given',
  'birthdate',
  'gender',
  'code',
  'date',
  'status',
  'category',
  'value-quantity',
  'subject',
  'patient',
  'encounter',
  'target',
  // Scheduling (telehealth looks up free slots of a schedule).
  'schedule',
  'start',
];

type Step =
  | { kind: 'child'; name: string }
  | { kind: 'choice'; name: string; suffix: string }
  | { kind: 'resolve-is'; type: string }
  | { kind: 'first' };

export interface CatalogParam {
  code: string;
  type: CatalogParamType;
  /** Canonical URL of the R5 SearchParameter it comes from. */
  definition: string;
  /** Resource types a reference parameter may point at (empty for other types). */
  targets: readonly string[];
  /** Each alternative of the expression for this type, as steps from the resource. */
  paths: readonly (readonly Step[])[];
}

interface RawSearchParameter {
  resourceType: string;
  url: string;
  code: string;
  type: string;
  base?: string[];
  expression?: string;
  target?: string[];
}

const CHILD = /^[a-z][A-Za-z0-9]*$/;

function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Splits on `|` outside parentheses. */
function alternatives(expression: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let at = 0; at < expression.length; at++) {
    const char = expression[at];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === '|' && depth === 0) {
      out.push(expression.slice(start, at).trim());
      start = at + 1;
    }
  }
  out.push(expression.slice(start).trim());
  return out;
}

function unwrap(text: string): string {
  let current = text.trim();
  while (current.startsWith('(') && current.endsWith(')') && alternatives(current.slice(1, -1)).length === 1) current = current.slice(1, -1).trim();
  return current;
}

/** Steps for one alternative on `type`, or undefined when it is not a shape compiled here. */
export function compilePath(alternative: string, type: string): Step[] | undefined {
  let text = unwrap(alternative);
  const as = / as ([A-Za-z]+)$/.exec(text);
  let asType: string | undefined;
  if (as) {
    asType = as[1];
    text = unwrap(text.slice(0, as.index));
  }
  if (!text.startsWith(`${type}.`)) return undefined;
  const steps: Step[] = [];
  const parts = text.slice(type.length + 1).split(/\.(?![^(]*\))/);
  for (const part of parts) {
    const ofType = /^ofType\(([A-Za-z]+)\)$/.exec(part);
    const resolveIs = /^where\(resolve\(\) is ([A-Za-z]+)\)$/.exec(part);
    if (CHILD.test(part)) steps.push({ kind: 'child', name: part });
    else if (ofType && steps.at(-1)?.kind === 'child') {
      const last = steps.pop() as { kind: 'child'; name: string };
      steps.push({ kind: 'choice', name: last.name, suffix: capitalized(ofType[1]!) });
    } else if (resolveIs) steps.push({ kind: 'resolve-is', type: resolveIs[1]! });
    else if (part === 'first()') steps.push({ kind: 'first' });
    else return undefined;
  }
  if (asType) {
    const last = steps.pop();
    if (last?.kind !== 'child') return undefined;
    steps.push({ kind: 'choice', name: last.name, suffix: capitalized(asType) });
  }
  return steps;
}

function referenceType(value: unknown): string | undefined {
  const reference = (value as { reference?: unknown } | undefined)?.reference;
  if (typeof reference !== 'string') return undefined;
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/[^/]+(?:\/_history\/[^/]+)?$/.exec(reference);
  return match?.[1];
}

/** The values an alternative selects from a resource (arrays flattened). */
export function select(resource: unknown, steps: readonly Step[]): unknown[] {
  let values: unknown[] = [resource];
  for (const step of steps) {
    if (step.kind === 'first') {
      values = values.slice(0, 1);
      continue;
    }
    if (step.kind === 'resolve-is') {
      values = values.filter((value) => referenceType(value) === step.type);
      continue;
    }
    const name = step.kind === 'child' ? step.name : step.name + step.suffix;
    const next: unknown[] = [];
    for (const value of values) {
      if (!value || typeof value !== 'object') continue;
      const child = (value as Record<string, unknown>)[name];
      if (Array.isArray(child)) next.push(...child);
      else if (child !== undefined && child !== null) next.push(child);
    }
    values = next;
  }
  return values;
}

export function selectAll(resource: unknown, param: CatalogParam): unknown[] {
  if (param.paths.length === 1) return select(resource, param.paths[0]!);
  return param.paths.flatMap((steps) => select(resource, steps));
}

export class SearchCatalog {
  private readonly byType = new Map<string, ReadonlyMap<string, CatalogParam>>();

  constructor(private readonly definitions: readonly RawSearchParameter[]) {}

  /** The supported parameters of a type, by code (without `_id` and `_lastUpdated`); compiled on first use. */
  forType(type: string): ReadonlyMap<string, CatalogParam> {
    let params = this.byType.get(type);
    if (!params) {
      params = this.compile(type);
      this.byType.set(type, params);
    }
    return params;
  }

  private compile(type: string): ReadonlyMap<string, CatalogParam> {
    const params = new Map<string, CatalogParam>();
    for (const definition of this.definitions) {
      if (!definition.base?.includes(type) || !definition.expression || params.has(definition.code)) continue;
      const paths = alternatives(definition.expression)
        .map((alternative) => compilePath(alternative, type))
        .filter((steps): steps is Step[] => steps !== undefined);
      if (paths.length === 0) continue;
      params.set(definition.code, {
        code: definition.code,
        type: definition.type as CatalogParamType,
        definition: definition.url,
        targets: definition.target ?? [],
        paths,
      });
    }
    return params.size > 0 ? params : EMPTY;
  }
}

const EMPTY: ReadonlyMap<string, CatalogParam> = new Map();

/** The R5 SearchParameter resources for the supported codes, read from hl7.fhir.r5.core. */
export function loadR5SearchParameters(codes: readonly string[] = SUPPORTED_CODES): RawSearchParameter[] {
  const packageDir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r5.core/package.json'));
  const wanted = new Set(codes);
  const out: RawSearchParameter[] = [];
  for (const file of readdirSync(packageDir)) {
    if (!file.startsWith('SearchParameter-') || !codes.some((code) => file.endsWith(`-${code}.json`))) continue;
    const definition = JSON.parse(readFileSync(join(packageDir, file), 'utf8')) as RawSearchParameter;
    if (definition.resourceType === 'SearchParameter' && wanted.has(definition.code) && SEARCH_TYPES.has(definition.type)) out.push(definition);
  }
  // Specific definitions (Observation-status) before shared ones (clinical-...): the first one
  // that compiles for a type wins.
  return out.sort((a, b) => (a.base?.length ?? 0) - (b.base?.length ?? 0) || a.url.localeCompare(b.url));
}

const SEARCH_TYPES: ReadonlySet<string> = new Set(['token', 'string', 'date', 'reference', 'quantity']);

let shared: SearchCatalog | undefined;

/** One catalog per process: the definitions are read once. */
export function r5SearchCatalog(): SearchCatalog {
  shared ??= new SearchCatalog(loadR5SearchParameters());
  return shared;
}
