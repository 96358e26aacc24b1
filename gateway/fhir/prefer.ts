// RFC 7240 Prefer header, as FHIR uses it: `return` for write responses, `handling` for search.
// Search is strict unless the client sends `handling=lenient`: a parameter dropped in silence
// once returned the wrong patient (issue #15), so ignoring one is something a client asks for.

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export interface Prefer {
  return?: PreferReturn;
  strict: boolean;
}

const RETURN_VALUES: ReadonlySet<string> = new Set(['minimal', 'representation', 'OperationOutcome']);

export function parsePrefer(header: string | string[] | undefined): Prefer {
  const prefer: Prefer = { strict: true };
  if (!header) return prefer;
  for (const token of (Array.isArray(header) ? header.join(',') : header).split(/[,;]/)) {
    const [rawName, rawValue = ''] = token.split('=');
    const name = rawName.trim().toLowerCase();
    const value = rawValue.trim().replace(/^"(.*)"$/, '$1');
    if (name === 'return' && RETURN_VALUES.has(value)) prefer.return = value as PreferReturn;
    else if (name === 'handling') prefer.strict = value !== 'lenient';
  }
  return prefer;
}
