// The search parameters the HTTP layer accepts and passes to ResourceService.search, per type:
// `_id` and `_lastUpdated`, then what the R5 catalog compiled for the type (store/search-catalog.ts,
// from hl7.fhir.r5.core). The CapabilityStatement is generated from the same lookup, so what is
// advertised is what is parsed and what the index answers.

import { r5SearchCatalog, type SearchCatalog } from '../store/search-catalog.js';
import { BLIND_DATE_CODES } from '../store/search-index.js';

export type SearchParameterType = 'token' | 'date' | 'reference' | 'string' | 'number' | 'uri' | 'quantity';

export interface SearchParameterDefinition {
  code: string;
  type: SearchParameterType;
  documentation: string;
  /** Types the parameter applies to; absent means every type. */
  resourceTypes?: readonly string[];
  /** Canonical URL of the SearchParameter it implements. */
  definition?: string;
  /** Types a reference parameter may point at. */
  targets?: readonly string[];
}

const COMMON: readonly SearchParameterDefinition[] = [
  {
    code: '_id',
    type: 'token',
    documentation: 'Logical id; comma-separated values match any.',
    definition: 'http://hl7.org/fhir/SearchParameter/Resource-id',
  },
  {
    code: '_lastUpdated',
    type: 'date',
    documentation: 'meta.lastUpdated with prefix eq, ne, gt, lt, ge, le, sa, eb or ap.',
    definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated',
  },
];

const DOCUMENTATION: Record<string, string> = {
  token: 'system|code, system| (any code in that system), |code (no system) or code. Modifiers :not, :missing.',
  string: 'Starts with, case- and accent-insensitive, on each part (family, given...). Modifiers :exact, :missing. Matched through keyed hashes: no :contains.',
  date: 'Prefixes eq, ne, gt, lt, ge, le, sa, eb, ap; precision from year to seconds. Modifier :missing.',
  blindDate: 'Prefixes eq, ne, gt, lt, ge, le, sa, eb, ap at year, month or day precision; matched through keyed calendar buckets (ranges cover 1850 to next year).',
  quantity: '[prefix]number[|system|code] or [prefix]number||code; eq uses the precision of the number. Modifier :missing.',
  reference: 'Type/id, an id, or :Type with an id. Chained: code.param (code:Type.param). Modifier :missing.',
};

/** Modifiers each parameter type accepts (a reference also takes a target type name). */
export const MODIFIERS: Record<string, readonly string[]> = {
  token: ['not', 'missing'],
  string: ['exact', 'missing'],
  date: ['missing'],
  quantity: ['missing'],
  reference: ['missing'],
};

export type SearchParameterLookup = (type: string) => ReadonlyMap<string, SearchParameterDefinition>;

function cached(build: (type: string) => Map<string, SearchParameterDefinition>): SearchParameterLookup {
  const cache = new Map<string, Map<string, SearchParameterDefinition>>();
  return (type) => {
    let byCode = cache.get(type);
    if (!byCode) {
      byCode = build(type);
      cache.set(type, byCode);
    }
    return byCode;
  };
}

/** A fixed list of definitions (deployments and tests that narrow the set). */
export function searchParameterLookup(definitions: readonly SearchParameterDefinition[]): SearchParameterLookup {
  return cached((type) => {
    const byCode = new Map<string, SearchParameterDefinition>();
    for (const definition of definitions) {
      if (!definition.resourceTypes || definition.resourceTypes.includes(type)) byCode.set(definition.code, definition);
    }
    return byCode;
  });
}

/** What the node's store indexes: the common parameters and the R5 catalog's, per type. */
export function catalogParameterLookup(catalog: SearchCatalog = r5SearchCatalog()): SearchParameterLookup {
  return cached((type) => {
    const byCode = new Map<string, SearchParameterDefinition>(COMMON.map((definition) => [definition.code, definition]));
    for (const param of catalog.forType(type).values()) {
      const kind = param.type === 'date' && BLIND_DATE_CODES.has(param.code) ? 'blindDate' : param.type;
      byCode.set(param.code, {
        code: param.code,
        type: param.type,
        documentation: DOCUMENTATION[kind]!,
        definition: param.definition,
        targets: param.targets,
      });
    }
    return byCode;
  });
}
