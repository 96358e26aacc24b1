// The search parameters the HTTP layer accepts and passes to ResourceService.search. The
// CapabilityStatement is generated from the same table, so what is advertised is what is parsed.

export type SearchParameterType = 'token' | 'date' | 'reference' | 'string' | 'number' | 'uri' | 'quantity';

export interface SearchParameterDefinition {
  code: string;
  type: SearchParameterType;
  documentation: string;
  /** Types the parameter applies to; absent means every type. */
  resourceTypes?: readonly string[];
}

export const DEFAULT_SEARCH_PARAMETERS: readonly SearchParameterDefinition[] = [
  { code: '_id', type: 'token', documentation: 'Logical id; comma-separated values match any.' },
  { code: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated with prefix eq, gt, ge, lt or le.' },
  { code: 'identifier', type: 'token', documentation: 'system|value, |value (no system), system| or value.' },
  { code: 'patient', type: 'reference', documentation: 'Patient/123 or 123.' },
  { code: 'subject', type: 'reference', documentation: 'Type/id, or a bare id.' },
  { code: 'target', type: 'reference', documentation: 'Provenance target, Type/id[/_history/vid].', resourceTypes: ['Provenance'] },
];

export const DATE_PREFIXES = ['eq', 'gt', 'ge', 'lt', 'le'] as const;

export type SearchParameterLookup = (type: string) => ReadonlyMap<string, SearchParameterDefinition>;

/** Per-type parameter maps, built once per type rather than per request. */
export function searchParameterLookup(definitions: readonly SearchParameterDefinition[]): SearchParameterLookup {
  const cache = new Map<string, Map<string, SearchParameterDefinition>>();
  return (type) => {
    let byCode = cache.get(type);
    if (!byCode) {
      byCode = new Map();
      for (const definition of definitions) {
        if (!definition.resourceTypes || definition.resourceTypes.includes(type)) byCode.set(definition.code, definition);
      }
      cache.set(type, byCode);
    }
    return byCode;
  };
}
