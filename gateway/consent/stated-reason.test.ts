import { describe, expect, it } from 'vitest';
import { REASON_MAX_CHARACTERS, checkStatedReason } from './stated-reason.js';

describe('checkStatedReason', () => {
  it.each([
    [undefined],
    [42],
    [''],
    ['.'],
    ['\u200b'],
    ['\u200b\u200c\u200d\u2060\ufeff\u00ad'],
    ['   \t\n  '],
    ['....!!!!????'],
    ['1234567890'],
    ['ab cd'], // 4 letters
    ['\u3164\u3164\u3164\u3164\u3164\u3164\u3164\u3164'], // Hangul fillers render as nothing
    ['\u2800\u2800\u2800\u2800\u2800\u2800\u2800\u2800\u2800'],
    ['a\u0300\u0300\u0300\u0300\u0300\u0300\u0300\u0300'], // one letter under combining marks
    ['x'.repeat(REASON_MAX_CHARACTERS + 1)],
  ])('refuses %j', (raw) => {
    expect(checkStatedReason(raw).ok).toBe(false);
  });

  it.each([
    ['anaphylaxis', 'anaphylaxis'],
    ['  cardiac\u200b arrest\n\n on arrival ', 'cardiac arrest on arrival'],
    ['Bewusstlos, Notaufnahme', 'Bewusstlos, Notaufnahme'],
    ['意識不明の救急搬送です', '意識不明の救急搬送です'],
    ['ＣＡＲＤＩＡＣ arrest', 'CARDIAC arrest'],
  ])('accepts %j as %j', (raw, recorded) => {
    expect(checkStatedReason(raw)).toEqual({ ok: true, reason: recorded });
  });
});
