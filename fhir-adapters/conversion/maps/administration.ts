import type { RuleTable } from '../rules.js';

/** Patient, Practitioner(Role), Organization, Location, Device, Group (HL7 xver *4to5.fml). */
export const administrationRules: RuleTable = {
  // Group4to5.fml: actual = true lists its members (enumerated), false describes them
  // (definitional).
  Group: {
    elements: { actual: { to: 'membership', transform: (actual) => (actual ? 'enumerated' : 'definitional') } },
  },
  Practitioner: {
    elements: { communication: { wrap: 'language' } },
  },
  PractitionerRole: {
    elements: {
      telecom: { to: 'contact', wrap: 'telecom', group: true },
      availableTime: { to: 'availability', wrap: 'availableTime', group: true },
      notAvailable: { to: 'availability', wrap: 'notAvailableTime', group: true },
    },
  },
  Organization: {
    elements: {
      telecom: { to: 'contact', wrap: 'telecom', group: true },
      address: { to: 'contact', wrap: 'address' },
    },
  },
  Location: {
    elements: {
      telecom: { to: 'contact', wrap: 'telecom', group: true },
      physicalType: { to: 'form' },
      hoursOfOperation: { to: 'hoursOfOperation', wrap: 'availableTime', group: true },
    },
  },
  'Location.hoursOfOperation': {
    elements: { openingTime: { to: 'availableStartTime' }, closingTime: { to: 'availableEndTime' } },
  },
  Device: {
    elements: {
      deviceName: { to: 'name' },
      status: { codes: { active: 'active', inactive: 'inactive', 'entered-in-error': 'entered-in-error' } },
    },
  },
  'Device.deviceName': {
    elements: {
      name: { to: 'value' },
      // dev.de.type-dev.na.type-4to5: R5 keeps three name types.
      type: {
        codes: {
          'udi-label-name': 'registered-name',
          'manufacturer-name': 'registered-name',
          'user-friendly-name': 'user-friendly-name',
          'patient-reported-name': 'patient-reported-name',
          'model-name': 'user-friendly-name',
          other: 'user-friendly-name',
        },
      },
    },
  },
  'Device.property': {
    elements: { valueCode: { to: 'valueCodeableConcept' } },
  },
};
