import type { RuleTable } from '../rules.js';

/** Claim, ExplanationOfBenefit, Coverage (HL7 xver *4to5.fml). */
export const financialRules: RuleTable = {
  'Claim.careTeam': { elements: { qualification: { to: 'specialty' } } },
  'Claim.item': { elements: { bodySite: { to: 'bodySite', wrap: 'site' } } },
  'ExplanationOfBenefit.careTeam': { elements: { qualification: { to: 'specialty' } } },
  'ExplanationOfBenefit.item': { elements: { bodySite: { to: 'bodySite', wrap: 'site' } } },
  Coverage: {
    elements: {
      payor: { to: 'insurer' },
    },
    // Every R4 Coverage is insurance; R5 distinguishes self-pay and other.
    set: { kind: 'insurance' },
  },
};
