// HL7 v3 PurposeOfUse codes a consent can be granted for, and the bits ConsentRegistry stores
// them as. A grant carries a set of purposes; a request states exactly one.

import { badRequest, OperationOutcomeError } from '@medplum/core';

export const PURPOSE_OF_USE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

export const PurposeOfUse = {
  TREAT: 1,
  ETREAT: 2,
  HPAYMT: 4,
  HRESCH: 8,
} as const;
export type PurposeCode = keyof typeof PurposeOfUse;

export const PURPOSE_DISPLAY: Record<PurposeCode, string> = {
  TREAT: 'treatment',
  ETREAT: 'emergency treatment',
  HPAYMT: 'healthcare payment',
  HRESCH: 'healthcare research',
};

export function isPurposeCode(value: unknown): value is PurposeCode {
  return typeof value === 'string' && Object.hasOwn(PurposeOfUse, value);
}

/** The bit set for a list of codes; throws 400 on an unknown code or an empty list. */
export function purposeMask(codes: readonly string[]): number {
  if (codes.length === 0) throw new OperationOutcomeError(badRequest('At least one purpose of use is required', 'purposes'));
  let mask = 0;
  for (const code of codes) {
    if (!isPurposeCode(code)) {
      throw new OperationOutcomeError(badRequest(`Unknown purpose of use ${code}; use ${Object.keys(PurposeOfUse).join(', ')}`, 'purposes'));
    }
    mask |= PurposeOfUse[code];
  }
  return mask;
}

export function purposeCodes(mask: number): PurposeCode[] {
  return (Object.keys(PurposeOfUse) as PurposeCode[]).filter((code) => (mask & PurposeOfUse[code]) !== 0);
}
