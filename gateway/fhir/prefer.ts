// RFC 7240 Prefer header, as FHIR uses it: `return` for write responses, `handling` for search.

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export interface Prefer {
  return?: PreferReturn;
  strict: boolean;
}

const RETURN_VALUES: ReadonlySet<string> = new Set(['minimal', 'representation', 'OperationOutcome']);

export function parsePrefer(header: string | string[] | undefined): Prefer {
  const prefer: Prefer = { strict: false };
  if (!header) return prefer;
  for (const token of (Array.isArray(header) ? header.join(',') : header).split(/[,;]/)) {
    const [rawName, rawValue = ''] = token.split('=');
    const name = rawName.trim().toLowerCase();
    const value = rawValue.trim().replace(/^"(.*)"$/, '$1');
    if (name === 'return' && RETURN_VALUES.has(value)) prefer.return = value as PreferReturn;
    else if (name === 'handling') prefer.strict = value === 'strict';
  }
  return prefer;
}
