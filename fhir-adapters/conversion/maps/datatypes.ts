import type { RuleTable } from '../rules.js';

/** Datatypes shared by every resource. */
export const datatypeRules: RuleTable = {
  Meta: {
    elements: {
      // R4 profiles (US Core...) describe R4 content: an R5 resource cannot claim them, and an
      // R5 validator resolving them would fail. They stay visible as extensions on meta.
      profile: { carry: 'names an R4 profile that R5 content cannot conform to' },
    },
  },
};
