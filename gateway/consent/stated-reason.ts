// The reason a person states for an action that bypasses or destroys (a break-glass read, an
// erasure). It is read later by the patient, the privacy officer or a court, so it must say
// something: "." or an invisible U+200B would pass a blank check but tell nobody anything. Pure.

const REASON_MIN_CHARACTERS = 8;
const REASON_MIN_LETTERS = 5;
export const REASON_MAX_CHARACTERS = 1000;

export type ReasonCheck = { ok: true; reason: string } | { ok: false; problem: string };

/**
 * The reason as it will be recorded (NFKC, without control and format characters such as
 * zero-width spaces, whitespace collapsed), or why it is not one.
 */
export function checkStatedReason(raw: unknown): ReasonCheck {
  if (typeof raw !== 'string') return { ok: false, problem: 'a reason (text) is required' };
  const reason = raw
    .normalize('NFKC')
    // Hangul fillers and the blank braille pattern render as nothing yet count as letters or symbols.
    .replace(/[\p{Cc}\p{Cf}\u115f\u1160\u3164\uffa0\u2800]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  const letters = reason.match(/\p{L}/gu)?.length ?? 0;
  if (reason.length < REASON_MIN_CHARACTERS || letters < REASON_MIN_LETTERS) {
    return {
      ok: false,
      problem: `the reason must say why in words: at least ${REASON_MIN_CHARACTERS} visible characters, ${REASON_MIN_LETTERS} of them letters`,
    };
  }
  if (reason.length > REASON_MAX_CHARACTERS) return { ok: false, problem: `the reason must be at most ${REASON_MAX_CHARACTERS} characters` };
  return { ok: true, reason };
}
