// The codes a required binding allows, resolved from the ValueSets and CodeSystems a FHIR core
// package ships. Only what can be enumerated exactly is resolved: a ValueSet that includes whole
// CodeSystems of the package or lists its concepts. Filters, external code systems (BCP-47,
// MIME types, UCUM) and excludes make a ValueSet open here, so nothing valid is ever refused
// for a code this node cannot enumerate.

interface Concept { code?: string; concept?: Concept[] }
export interface CodeSystemJson { url?: string; content?: string; concept?: Concept[] }
interface Include { system?: string; concept?: Array<{ code?: string }>; filter?: unknown[]; valueSet?: string[] }
export interface ValueSetJson { url?: string; compose?: { include?: Include[]; exclude?: unknown[] } }

export type RequiredCodes = (valueSetUrl: string) => string[] | undefined;

function flatten(concepts: Concept[] | undefined, into: string[]): void {
  for (const c of concepts ?? []) {
    if (c.code) into.push(c.code);
    flatten(c.concept, into);
  }
}

const withoutVersion = (url: string): string => url.split('|')[0];

export function requiredCodesFrom(valueSets: readonly ValueSetJson[], codeSystems: readonly CodeSystemJson[]): RequiredCodes {
  const systems = new Map<string, string[] | undefined>();
  for (const cs of codeSystems) {
    if (!cs.url) continue;
    if (cs.content !== 'complete') {
      systems.set(cs.url, undefined);
      continue;
    }
    const codes: string[] = [];
    flatten(cs.concept, codes);
    systems.set(cs.url, codes);
  }
  const sets = new Map(valueSets.filter((vs) => vs.url).map((vs) => [vs.url as string, vs]));
  const resolved = new Map<string, string[] | undefined>();

  const resolve = (url: string, seen: Set<string>): string[] | undefined => {
    if (resolved.has(url)) return resolved.get(url);
    const vs = sets.get(url);
    if (!vs?.compose?.include || seen.has(url)) return undefined;
    seen.add(url);
    const codes: string[] = [];
    let open = false;
    for (const include of vs.compose.include) {
      if (include.filter?.length) open = true;
      else if (include.concept?.length) include.concept.forEach((c) => c.code && codes.push(c.code));
      else if (include.system) {
        const all = systems.get(include.system);
        if (all) codes.push(...all);
        else open = true;
      }
      for (const inner of include.valueSet ?? []) {
        const innerCodes = resolve(withoutVersion(inner), seen);
        if (innerCodes) codes.push(...innerCodes);
        else open = true;
      }
    }
    const result = open || codes.length === 0 ? undefined : [...new Set(codes)].sort();
    resolved.set(url, result);
    return result;
  };
  return (url) => resolve(withoutVersion(url), new Set());
}
