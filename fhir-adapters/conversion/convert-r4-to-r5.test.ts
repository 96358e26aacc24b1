import { OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { validateR5 } from '../validation/r5-validator.js';
import { convertR4toR5 } from './convert-r4-to-r5.js';
import { xverExtensionUrl } from './xver-extension.js';

type J = Record<string, any>;

/** Converts and insists the result is structurally valid R5. */
function conv(r4: J): { r: J; issues: string[] } {
  const { resource, issues } = convertR4toR5(r4);
  expect(validateR5(resource).map((i) => `${i.expression?.[0]}: ${i.details?.text}`)).toEqual([]);
  return { r: resource as J, issues: issues.map((i) => `${i.severity} ${i.expression?.[0]}: ${i.details?.text}`) };
}

const ext = (r: J, path: string): J | undefined =>
  [...((r.extension as J[]) ?? []), ...((r.modifierExtension as J[]) ?? [])].find((e) => e.url === xverExtensionUrl(path));

const ref = (reference: string): J => ({ reference });
const cc = (code: string, system = 'http://example.org'): J => ({ coding: [{ system, code }] });

describe('convertR4toR5: Encounter', () => {
  const r4 = {
    resourceType: 'Encounter',
    id: 'e1',
    status: 'arrived',
    statusHistory: [{ status: 'planned', period: { start: '2020-01-01' } }],
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    classHistory: [{ class: { code: 'AMB' }, period: { start: '2019' } }],
    serviceType: cc('st'),
    period: { start: '2020-01-02', end: '2020-01-05' },
    reasonCode: [cc('r1')],
    reasonReference: [ref('Condition/c1')],
    participant: [{ individual: ref('Practitioner/p1'), type: [cc('PPRF')] }],
    diagnosis: [{ condition: ref('Condition/c1'), use: cc('AD'), rank: 1 }],
    hospitalization: { admitSource: cc('emd'), dietPreference: [cc('veg')], dischargeDisposition: cc('home') },
    location: [{ location: ref('Location/l1'), physicalType: cc('wa'), status: 'completed' }],
  };
  const { r, issues } = conv(r4);

  it('renames and reshapes per Encounter4to5', () => {
    expect(r.status).toBe('in-progress');
    expect(r._status.extension[0]).toEqual({ url: xverExtensionUrl('Encounter.status'), valueCode: 'arrived' });
    expect(r.class).toEqual([{ coding: [r4.class] }]);
    expect(r.serviceType).toEqual([{ concept: cc('st') }]);
    expect(r.actualPeriod).toEqual(r4.period);
    expect(r.reason).toEqual([{ value: [{ concept: cc('r1') }] }, { value: [{ reference: ref('Condition/c1') }] }]);
    expect(r.participant[0].actor).toEqual(ref('Practitioner/p1'));
    expect(r.diagnosis[0].condition).toEqual([{ reference: ref('Condition/c1') }]);
    expect(r.diagnosis[0].use).toEqual([cc('AD')]);
    expect(r.admission).toEqual({ admitSource: cc('emd'), dischargeDisposition: cc('home') });
    expect(r.dietPreference).toEqual([cc('veg')]);
    expect(r.location[0].form).toEqual(cc('wa'));
  });

  it('carries statusHistory, classHistory and diagnosis.rank as extensions and reports them', () => {
    expect(ext(r, 'Encounter.statusHistory')).toEqual({
      url: xverExtensionUrl('Encounter.statusHistory'),
      extension: [
        { url: 'status', valueCode: 'planned' },
        { url: 'period', valuePeriod: { start: '2020-01-01' } },
      ],
    });
    expect(ext(r, 'Encounter.classHistory')?.extension[0]).toEqual({ url: 'class', valueCoding: { code: 'AMB' } });
    expect(ext(r.diagnosis[0], 'Encounter.diagnosis.rank')?.valuePositiveInt).toBe(1);
    expect(issues.some((i) => i.startsWith('warning Encounter.statusHistory[0]:'))).toBe(true);
    expect(issues.some((i) => i.includes('Encounter.diagnosis[0].rank'))).toBe(true);
  });

  it('keeps 1:1 code translations without an extension', () => {
    const { r: done } = conv({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' } });
    expect(done.status).toBe('completed');
    expect(done._status).toBeUndefined();
  });
});

describe('convertR4toR5: other types', () => {
  it('Patient: carries US Core meta.profile, keeps primitive extensions aligned', () => {
    const { r, issues } = conv({
      resourceType: 'Patient',
      meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] },
      name: [{ given: ['A', 'B'], _given: [null, { extension: [{ url: 'http://x', valueString: 'y' }] }] }],
      birthDate: '1970-01-01',
      deceasedBoolean: false,
    });
    expect(r.meta.profile).toBeUndefined();
    expect(r.meta.extension[0].valueCanonical).toMatch(/us-core-patient/);
    expect(r.name[0]._given).toEqual([null, { extension: [{ url: 'http://x', valueString: 'y' }] }]);
    expect(issues[0]).toMatch(/^information Patient.meta.profile\[0\]/);
  });

  it('Condition: recorder/asserter -> participant, evidence -> CodeableReference', () => {
    const { r } = conv({
      resourceType: 'Condition',
      clinicalStatus: cc('active'),
      subject: ref('Patient/p'),
      recorder: ref('Practitioner/a'),
      asserter: ref('Practitioner/b'),
      evidence: [{ code: [cc('e')], detail: [ref('Observation/o')] }],
      onsetDateTime: '2020',
    });
    expect(r.participant.map((p: J) => [p.function.coding[0].code, p.actor.reference])).toEqual([
      ['enterer', 'Practitioner/a'],
      ['author', 'Practitioner/b'],
    ]);
    expect(r.evidence).toEqual([{ concept: cc('e') }, { reference: ref('Observation/o') }]);
    expect(r.onsetDateTime).toBe('2020');
  });

  it('Procedure: performed[x] -> occurrence[x], reason, used, complication', () => {
    const { r } = conv({
      resourceType: 'Procedure',
      status: 'completed',
      subject: ref('Patient/p'),
      performedPeriod: { start: '2020' },
      reasonCode: [cc('r')],
      reasonReference: [ref('Condition/c')],
      usedCode: [cc('u')],
      complication: [cc('x')],
    });
    expect(r.occurrencePeriod).toEqual({ start: '2020' });
    expect(r.reason).toEqual([{ concept: cc('r') }, { reference: ref('Condition/c') }]);
    expect(r.used).toEqual([{ concept: cc('u') }]);
    expect(r.complication).toEqual([{ concept: cc('x') }]);
  });

  it('MedicationRequest: medication[x] -> CodeableReference, reason, Dosage.asNeeded, performer, dispenser', () => {
    const { r } = conv({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: ref('Patient/p'),
      medicationCodeableConcept: cc('rx'),
      reasonReference: [ref('Condition/c')],
      reportedReference: ref('Practitioner/x'),
      performer: ref('Practitioner/y'),
      dosageInstruction: [{ asNeededCodeableConcept: cc('pain') }, { asNeededBoolean: true }],
      dispenseRequest: { performer: ref('Organization/o') },
    });
    expect(r.medication).toEqual({ concept: cc('rx') });
    expect(r.reason).toEqual([{ reference: ref('Condition/c') }]);
    expect(r.informationSource).toEqual([ref('Practitioner/x')]);
    expect(r.performer).toEqual([ref('Practitioner/y')]);
    expect(r.dosageInstruction).toEqual([{ asNeededFor: [cc('pain')] }, { asNeeded: true }]);
    expect(r.dispenseRequest.dispenser).toEqual(ref('Organization/o'));
  });

  it('Immunization: reason, doseNumber[x] -> string, reaction.detail -> manifestation, education carried', () => {
    const { r } = conv({
      resourceType: 'Immunization',
      status: 'completed',
      vaccineCode: cc('140'),
      patient: ref('Patient/p'),
      occurrenceString: 'last spring',
      reasonCode: [cc('r')],
      reaction: [{ detail: ref('Observation/o') }],
      protocolApplied: [{ doseNumberPositiveInt: 2 }],
      education: [{ documentType: 'VIS' }],
    });
    expect(r.occurrenceString).toBe('last spring');
    expect(r.reason).toEqual([{ concept: cc('r') }]);
    expect(r.reaction[0].manifestation).toEqual({ reference: ref('Observation/o') });
    expect(r.protocolApplied[0].doseNumber).toBe('2');
    expect(ext(r, 'Immunization.education')).toBeDefined();
  });

  it('AllergyIntolerance: type code -> CodeableConcept, manifestation -> CodeableReference', () => {
    const { r } = conv({
      resourceType: 'AllergyIntolerance',
      type: 'allergy',
      patient: ref('Patient/p'),
      reaction: [{ manifestation: [cc('hives')] }],
    });
    expect(r.type).toEqual(cc('allergy', 'http://hl7.org/fhir/allergy-intolerance-type'));
    expect(r.reaction[0].manifestation).toEqual([{ concept: cc('hives') }]);
  });

  it('Device: deviceName -> name, udiCarrier without issuer and patient carried', () => {
    const { r, issues } = conv({
      resourceType: 'Device',
      status: 'unknown',
      distinctIdentifier: 'd1',
      deviceName: [{ name: 'meter', type: 'model-name' }],
      udiCarrier: [{ deviceIdentifier: '0123' }],
      patient: ref('Patient/p'),
    });
    expect(r.name).toEqual([{ value: 'meter', type: 'user-friendly-name', _type: { extension: [{ url: xverExtensionUrl('Device.deviceName.type'), valueCode: 'model-name' }] } }]);
    expect(ext(r, 'Device.udiCarrier')?.extension).toEqual([{ url: 'deviceIdentifier', valueString: '0123' }]);
    expect(ext(r, 'Device.patient')?.valueReference).toEqual(ref('Patient/p'));
    expect(ext(r, 'Device.distinctIdentifier')?.valueString).toBe('d1');
    expect(issues.join()).toMatch(/R5 requires issuer/);
  });

  it('DocumentReference: context flattened, format -> profile, authenticator -> attester, size -> integer64', () => {
    const { r } = conv({
      resourceType: 'DocumentReference',
      status: 'current',
      masterIdentifier: { value: 'm' },
      identifier: [{ value: 'i' }],
      authenticator: ref('Practitioner/a'),
      relatesTo: [{ code: 'replaces', target: ref('DocumentReference/d0') }],
      content: [{ attachment: { contentType: 'text/plain', size: 12 }, format: { code: 'urn:x' } }],
      context: { encounter: [ref('Encounter/e')], period: { start: '2020' }, related: [ref('Observation/o')] },
    });
    expect(r.identifier).toEqual([{ value: 'm' }, { value: 'i' }]);
    expect(r.attester[0]).toMatchObject({ party: ref('Practitioner/a'), mode: { coding: [{ code: 'professional' }] } });
    expect(r.relatesTo[0].code).toEqual(cc('replaces', 'http://hl7.org/fhir/document-relationship-type'));
    expect(r.content[0].profile).toEqual([{ valueCoding: { code: 'urn:x' } }]);
    expect(r.content[0].attachment.size).toBe('12');
    expect(r.context).toEqual([ref('Encounter/e')]);
    expect(r.period).toEqual({ start: '2020' });
    expect(ext(r, 'DocumentReference.context.related')?.valueReference).toEqual(ref('Observation/o'));
  });

  it('Organization, Location, Practitioner, PractitionerRole: telecom -> contact, availability, communication', () => {
    const tel = { system: 'phone', value: '555' };
    const { r: org } = conv({ resourceType: 'Organization', name: 'O', telecom: [tel], address: [{ city: 'X' }] });
    expect(org.contact).toEqual([{ telecom: [tel] }, { address: { city: 'X' } }]);
    const { r: loc } = conv({
      resourceType: 'Location',
      telecom: [tel],
      physicalType: cc('wa'),
      hoursOfOperation: [{ daysOfWeek: ['mon'], openingTime: '08:00:00' }],
    });
    expect(loc.contact).toEqual([{ telecom: [tel] }]);
    expect(loc.form).toEqual(cc('wa'));
    expect(loc.hoursOfOperation).toEqual([{ availableTime: [{ daysOfWeek: ['mon'], availableStartTime: '08:00:00' }] }]);
    const { r: pr } = conv({ resourceType: 'Practitioner', communication: [cc('en')] });
    expect(pr.communication).toEqual([{ language: cc('en') }]);
    const { r: role } = conv({
      resourceType: 'PractitionerRole',
      telecom: [tel],
      availableTime: [{ daysOfWeek: ['tue'], allDay: true }],
      availabilityExceptions: 'holidays',
    });
    expect(role.contact).toEqual([{ telecom: [tel] }]);
    expect(role.availability).toEqual([{ availableTime: [{ daysOfWeek: ['tue'], allDay: true }] }]);
    expect(ext(role, 'PractitionerRole.availabilityExceptions')?.valueString).toBe('holidays');
  });

  it('Observation and DiagnosticReport convert mostly unchanged', () => {
    const { r: obs } = conv({
      resourceType: 'Observation',
      status: 'final',
      code: cc('8867-4', 'http://loinc.org'),
      valueQuantity: { value: 72, unit: '/min' },
      component: [{ code: cc('x'), valueString: 'y' }],
    });
    expect(obs.valueQuantity.value).toBe(72);
    const { r: dr } = conv({ resourceType: 'DiagnosticReport', status: 'final', code: cc('r'), imagingStudy: [ref('ImagingStudy/i')] });
    expect(dr.study).toEqual([ref('ImagingStudy/i')]);
  });

  it('Claim and ExplanationOfBenefit: careTeam.qualification -> specialty, item.bodySite -> bodySite.site', () => {
    const claimBase = {
      status: 'active',
      type: cc('institutional'),
      use: 'claim',
      patient: ref('Patient/p'),
      created: '2020-01-01',
      provider: ref('Organization/o'),
      priority: cc('normal'),
      insurance: [{ sequence: 1, focal: true, coverage: ref('Coverage/c') }],
      careTeam: [{ sequence: 1, provider: ref('Practitioner/x'), qualification: cc('q') }],
      diagnosis: [{ sequence: 1, diagnosisCodeableConcept: cc('d'), packageCode: cc('p') }],
      item: [{ sequence: 1, productOrService: cc('s'), bodySite: cc('arm') }],
    };
    const { r: claim } = conv({ resourceType: 'Claim', ...claimBase });
    expect(claim.careTeam[0].specialty).toEqual(cc('q'));
    expect(claim.item[0].bodySite).toEqual([{ site: [{ concept: cc('arm') }] }]);
    expect(ext(claim.diagnosis[0], 'Claim.diagnosis.packageCode')).toBeDefined();
    const { r: eob } = conv({ resourceType: 'ExplanationOfBenefit', ...claimBase, insurer: ref('Organization/i'), outcome: 'complete' });
    expect(eob.careTeam[0].specialty).toEqual(cc('q'));
    expect(eob.outcome).toBe('complete');
  });

  it('Coverage: kind added, subscriberId and class.value -> Identifier, payor -> insurer', () => {
    const { r, issues } = conv({
      resourceType: 'Coverage',
      status: 'active',
      beneficiary: ref('Patient/p'),
      subscriberId: 'S1',
      payor: [ref('Organization/a'), ref('Organization/b')],
      class: [{ type: cc('group'), value: 'G1' }],
    });
    expect(r.kind).toBe('insurance');
    expect(r.subscriberId).toEqual([{ value: 'S1' }]);
    expect(r.insurer).toEqual(ref('Organization/a'));
    expect(ext(r, 'Coverage.payor')?.valueReference).toEqual(ref('Organization/b'));
    expect(r.class[0].value).toEqual({ value: 'G1' });
    expect(issues.join()).toMatch(/Coverage.payor\[1\]/);
  });

  it('Consent: patient -> subject, provision.type -> decision, scope and policy.authority carried, dateTime -> date', () => {
    const { r } = conv({
      resourceType: 'Consent',
      status: 'proposed',
      scope: cc('patient-privacy'),
      category: [cc('59284-0', 'http://loinc.org')],
      patient: ref('Patient/p'),
      dateTime: '2020-01-02T10:00:00Z',
      performer: [ref('Patient/p')],
      policy: [{ authority: 'http://a', uri: 'http://a/p' }],
      policyRule: cc('hipaa'),
      provision: { type: 'permit', period: { start: '2020' }, class: [{ code: 'Observation' }], actor: [{ role: cc('PRCP'), reference: ref('Organization/o') }] },
    });
    expect(r.status).toBe('draft');
    expect(r.subject).toEqual(ref('Patient/p'));
    expect(r.date).toBe('2020-01-02');
    expect(r._date.extension[0]).toEqual({ url: xverExtensionUrl('Consent.dateTime'), valueDateTime: '2020-01-02T10:00:00Z' });
    expect(r.grantee).toEqual([ref('Patient/p')]);
    expect(r.policyBasis).toMatchObject({ url: 'http://a/p' });
    expect(r.regulatoryBasis).toEqual([cc('hipaa')]);
    expect(r.decision).toBe('permit');
    expect(r.provision[0].documentType).toEqual([{ code: 'Observation' }]);
    // scope is a modifier in R4, so it travels as a modifierExtension.
    expect(r.modifierExtension[0]).toEqual({ url: xverExtensionUrl('Consent.scope'), valueCodeableConcept: cc('patient-privacy') });
    expect(ext(r.policyBasis, 'Consent.policy.authority')?.valueUri).toBe('http://a');
  });

  it('Provenance: reason -> authorization, entity.role derivation kept as extension', () => {
    const { r } = conv({
      resourceType: 'Provenance',
      target: [ref('Patient/p')],
      recorded: '2020-01-01T00:00:00Z',
      reason: [cc('TREAT')],
      activity: cc('CREATE'),
      agent: [{ who: ref('Practitioner/x') }],
      entity: [{ role: 'derivation', what: ref('DocumentReference/d') }],
    });
    expect(r.authorization).toEqual([{ concept: cc('TREAT') }]);
    expect(r.activity).toEqual(cc('CREATE'));
    expect(r.entity[0].role).toBe('source');
    expect(r.entity[0]._role.extension[0].valueCode).toBe('derivation');
  });

  it('AuditEvent: type -> category, subtype -> code, outcome, agent and source reshaped', () => {
    const { r } = conv({
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' },
      subtype: [{ code: 'read' }, { code: 'vread' }],
      action: 'R',
      period: { start: '2020' },
      recorded: '2020-01-01T00:00:00Z',
      outcome: '4',
      outcomeDesc: 'partial',
      purposeOfEvent: [cc('TREAT')],
      agent: [{ who: ref('Practitioner/x'), requestor: true, name: 'Dr X', network: { address: '10.0.0.1', type: '2' } }],
      source: { site: 'Cloud', observer: ref('Device/d'), type: [{ code: '4' }] },
      entity: [{ what: ref('Patient/p'), role: { code: '1' }, detail: [{ type: 'q', valueString: 'v' }], lifecycle: { code: '6' } }],
    });
    expect(r.category).toEqual([{ coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' }] }]);
    expect(r.code).toEqual({ coding: [{ code: 'read' }, { code: 'vread' }] });
    expect(r.occurredPeriod).toEqual({ start: '2020' });
    expect(r.outcome).toEqual({ code: { system: 'http://hl7.org/fhir/issue-severity', code: 'warning', display: 'Warning' }, detail: [{ text: 'partial' }] });
    expect(r.authorization).toEqual([cc('TREAT')]);
    expect(ext(r.agent[0], 'AuditEvent.agent.name')?.valueString).toBe('Dr X');
    expect(ext(r.agent[0], 'AuditEvent.agent.network')).toBeDefined();
    expect(r.source).toEqual({ site: { display: 'Cloud' }, observer: ref('Device/d'), type: [{ coding: [{ code: '4' }] }] });
    expect(r.entity[0].role).toEqual({ coding: [{ code: '1' }] });
    expect(r.entity[0].detail[0].type).toEqual({ text: 'q' });
    expect(ext(r.entity[0], 'AuditEvent.entity.lifecycle')).toBeDefined();
  });

  it('Appointment: cancelationReason, reasonCode, comment -> note, participant.required -> boolean', () => {
    const { r } = conv({
      resourceType: 'Appointment',
      // cancelled: a booked appointment needs start and end, and a cancellation reason only a cancelled one (app-3, app-4 in R4 and R5).
      status: 'cancelled',
      cancelationReason: cc('pat'),
      reasonCode: [cc('checkup')],
      comment: 'bring list',
      priority: 5,
      participant: [{ actor: ref('Patient/p'), required: 'required', status: 'accepted' }],
    });
    expect(r.cancellationReason).toEqual(cc('pat'));
    expect(r.reason).toEqual([{ concept: cc('checkup') }]);
    expect(r.note).toEqual([{ text: 'bring list' }]);
    expect(r.participant[0].required).toBe(true);
    expect(ext(r, 'Appointment.priority')?.valueUnsignedInt).toBe(5);
  });

  it('converts contained resources and Bundle entries recursively', () => {
    const enc = { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2020' } };
    const { r } = conv({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', contained: [enc] } }] });
    expect(r.entry[0].resource.contained[0]).toMatchObject({ status: 'completed', actualPeriod: { start: '2020' } });
  });

  it('rejects non-R4 input and types removed in R5 with an OperationOutcomeError', () => {
    expect(() => convertR4toR5({ resourceType: 'Nope' })).toThrow(OperationOutcomeError);
    expect(() => convertR4toR5({ resourceType: 'MedicinalProduct' })).toThrow(/does not exist in FHIR R5/);
    expect(() => convertR4toR5(null)).toThrow(OperationOutcomeError);
  });
});

describe('convertR4toR5: cross-version gaps that HL7 maps or R5 extensions carry', () => {
  it('Group: actual -> membership (enumerated / definitional)', () => {
    const enumerated = convertR4toR5({ resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }] });
    expect(enumerated.resource.membership).toBe('enumerated');
    expect(enumerated.resource.extension).toBeUndefined();
    expect(validateR5(enumerated.resource)).toEqual([]);
    const definitional = convertR4toR5({ resourceType: 'Group', type: 'person', actual: false, characteristic: [{ code: { text: 'age' }, valueBoolean: true, exclude: false }] });
    expect(definitional.resource.membership).toBe('definitional');
    expect(validateR5(definitional.resource)).toEqual([]);
  });

  it('Condition without clinicalStatus: marked data-absent-reason unknown, with a warning', () => {
    const { resource, issues } = convertR4toR5({
      resourceType: 'Condition',
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'refuted' }] },
      code: { text: 'Asthma' },
      subject: { reference: 'Patient/p1' },
    });
    expect(resource.clinicalStatus).toEqual({ extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] });
    expect(issues).toEqual([expect.objectContaining({ severity: 'warning', expression: ['Condition.clinicalStatus'] })]);
    expect(validateR5(resource)).toEqual([]);
  });

  it('StructureDefinition: element ids such as Extension.value[x] are strings, not FHIR ids', () => {
    const { resource } = convertR4toR5({
      resourceType: 'StructureDefinition',
      url: 'http://example.org/StructureDefinition/x',
      name: 'X',
      status: 'draft',
      kind: 'complex-type',
      abstract: false,
      context: [{ type: 'element', expression: 'Patient' }],
      type: 'Extension',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
      derivation: 'constraint',
      differential: { element: [{ id: 'Extension', path: 'Extension' }, { id: 'Extension.value[x]', path: 'Extension.value[x]', type: [{ code: 'string' }] }] },
    });
    expect(validateR5(resource)).toEqual([]);
    expect(validateR5({ resourceType: 'Patient', id: 'Extension.value[x]' })[0].details?.text).toMatch(/Invalid id/);
  });
});
