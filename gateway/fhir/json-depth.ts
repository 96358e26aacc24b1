// Nesting depth of JSON text, measured before it is parsed. V8 parses deep JSON without trouble,
// but everything after the parser recurses (structured clone to the validation workers,
// validators, canonicalization, serialization): a 30 KB body nested 5,000 levels overflows the
// stack there. FHIR resources need a few dozen levels at most, so anything deeper is refused
// while it is still a string. A scan over the text, jumping from quote to quote inside strings,
// costs a fraction of JSON.parse and allocates nothing.

/** Default and documented limit (FHIR_MAX_JSON_DEPTH): a Bundle of QuestionnaireResponses with
 * nested items and contained resources stays well below it. */
export const DEFAULT_MAX_JSON_DEPTH = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** true when objects and arrays in `text` nest deeper than `max`. Malformed JSON is left to the parser. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return false;
        let backslashes = 0;
        for (let j = i - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

export class JsonTooDeepError extends Error {
  override name = 'JsonTooDeepError';
  readonly statusCode = 400;
  readonly code = 'CARELEDGER_JSON_TOO_DEEP';
  constructor(readonly maxDepth: number) {
    super(`JSON nests deeper than ${maxDepth} levels; FHIR resources need far fewer: flatten the content or check the sender`);
  }
}
