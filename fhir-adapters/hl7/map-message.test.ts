import { Hl7Message } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { createHl7Mapper, type Hl7MappingOptions } from './map-message.js';
import { Hl7MappingError } from './mapping-error.js';
import { validateR5 } from '../validation/index.js';
import { generateHl7Messages } from '../../test/support/synthetic-hl7.js';

const ID_KEY = new Uint8Array(32).fill(7);
const OPTIONS: Hl7MappingOptions = { idKey: ID_KEY, timeZone: 'Europe/Berlin' };

const msg = (...segments: string[]): Hl7Message => Hl7Message.parse(segments.join('\r'));

const A01 = [
  String.raw`MSH|^~\&|EPIC|GOODHEALTH|CARELEDGER|GOODHEALTH|20240315143000+0100||ADT^A01^ADT_A01|MSG00001|P|2.5.1|||AL|NE||UNICODE UTF-8`,
  'EVN|A01|20240315143000+0100',
  'PID|1||123456^^^GOODHEALTH^MR~987-65-4321^^^USSSA^SS||Doe^John^Quincy^Jr^Dr^MD^L~Doe^Johnny^^^^^N||19800229|M|||123 Main St^Apt 4^Springfield^IL^62701^USA^H||^PRN^PH^^1^217^5550123~^NET^Internet^john.doe@example.org|^WPN^PH^^1^217^5559876^12||M||ACC-77^^^GOODHEALTH^AN||||||||||||N',
  'PV1|1|I|ICU^12^A^GOODHEALTH||||1234^Smith^Anna^^^Dr|||MED|||||||||V1001^^^GOODHEALTH^VN||||||||||||||||||||GOODHEALTH|||||20240315142500+0100',
];

const A04 = [
  String.raw`MSH|^~\&|EPIC|GOODHEALTH|CARELEDGER|GOODHEALTH|20240316091600||ADT^A04^ADT_A01|MSG00002|P|2.5.1`,
  'EVN|A04|20240316091600',
  'PID|1||555^^^GOODHEALTH^MR||Roe^Jane||1975|F',
  'PV1|1|O|CLINIC^^^GOODHEALTH||||||||||||||||V2002^^^GOODHEALTH^VN|||||||||||||||||||||||||20240316091500',
];

const A08_NO_PV1 = [
  String.raw`MSH|^~\&|EPIC|GOODHEALTH|CARELEDGER|GOODHEALTH|20240318120000+0100||ADT^A08^ADT_A01|MSG00003|P|2.5.1`,
  'EVN|A08|20240318120000+0100',
  'PID|1||123456^^^GOODHEALTH^MR||Doe^John^Quincy||19800229|M|||500 Oak Ave^^Springfield^IL^62702^USA^H',
];

const ORU = [
  String.raw`MSH|^~\&|LIS|GOODHEALTH|CARELEDGER|GOODHEALTH|20240315103000-0500||ORU^R01^ORU_R01|LAB0001|P|2.5.1`,
  'PID|1||123456^^^GOODHEALTH^MR||Doe^John||19800229|M',
  'PV1|1|I|ICU^12^A||||||||||||||||V1001^^^GOODHEALTH^VN',
  'ORC|RE|ORD-123^EPIC|LAB-456^LIS',
  'OBR|1|ORD-123^EPIC|LAB-456^LIS|24323-8^Comprehensive metabolic panel^LN|||20240315080000-0500|||||||||||||||20240315103000-0500||CH|F',
  String.raw`NTE|1|L|Fasting specimen\.br\drawn at bedside`,
  'OBX|1|NM|2345-7^Glucose^LN||182|mg/dL^mg/dL^UCUM|70-99|H|||F|||20240315081500-0500',
  'OBX|2|ST|8251-1^Service comment^LN||Specimen slightly hemolyzed||||||F',
  String.raw`NTE|1|L|Recollect if K \T\ LDH matter`,
  'OBX|3|CWE|600-7^Bacteria identified in Blood by Culture^LN||112283007^Escherichia coli^SCT||||||P',
  'OBX|4|SN|2160-0^Creatinine^LN||<^0.5|mg/dL^^UCUM|0.7-1.3|L|||C',
  'OBX|5|SN|5195-3^Hepatitis B surface Ab titer^LN||^1^:^128||||||F',
];

const map = (m: Hl7Message, options: Hl7MappingOptions = OPTIONS) => createHl7Mapper(options)(m);

function mappingError(fn: () => unknown): Hl7MappingError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Hl7MappingError);
    return err as Hl7MappingError;
  }
  throw new Error('expected a mapping error');
}

describe('ADT^A01 (admit)', () => {
  const { messageType, controlId, resources } = map(msg(...A01));
  const [patient, encounter] = resources as Array<Record<string, any>>;

  it('yields a Patient then an Encounter', () => {
    expect(messageType).toBe('ADT^A01');
    expect(controlId).toBe('MSG00001');
    expect(resources.map((r) => r.resourceType)).toEqual(['Patient', 'Encounter']);
  });

  it('maps PID to Patient', () => {
    expect(patient.identifier).toEqual([
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:careledger:hl7:GOODHEALTH', value: '123456' },
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS' }] }, system: 'urn:careledger:hl7:USSSA', value: '987-65-4321' },
    ]);
    expect(patient.name).toEqual([
      { use: 'official', family: 'Doe', given: ['John', 'Quincy'], prefix: ['Dr'], suffix: ['Jr', 'MD'] },
      { use: 'nickname', family: 'Doe', given: ['Johnny'] },
    ]);
    expect(patient.birthDate).toBe('1980-02-29');
    expect(patient.gender).toBe('male');
    expect(patient.deceasedBoolean).toBe(false);
    expect(patient.address).toEqual([
      { use: 'home', line: ['123 Main St', 'Apt 4'], city: 'Springfield', state: 'IL', postalCode: '62701', country: 'USA' },
    ]);
    expect(patient.telecom).toEqual([
      { system: 'phone', value: '+1 217 5550123', use: 'home' },
      { system: 'email', value: 'john.doe@example.org', use: 'home' },
      { system: 'phone', value: '+1 217 5559876 ext. 12', use: 'work' },
    ]);
    expect(patient.maritalStatus.coding).toEqual([
      { system: 'http://terminology.hl7.org/CodeSystem/v2-0002', code: 'M' },
      { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' },
    ]);
  });

  it('maps PV1 to an R5 Encounter', () => {
    expect(encounter).toMatchObject({
      resourceType: 'Encounter',
      status: 'in-progress',
      class: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' }] }],
      subject: { reference: `Patient/${patient.id}` },
      actualPeriod: { start: '2024-03-15T14:25:00+01:00' },
      identifier: [{ type: { coding: [{ code: 'VN' }] }, system: 'urn:careledger:hl7:GOODHEALTH', value: 'V1001' }],
      location: [{ location: { display: 'ICU 12 A' } }],
      serviceProvider: { display: 'GOODHEALTH' },
    });
    expect(encounter.participant[0].actor).toEqual({ identifier: { value: '1234' }, display: 'Dr Anna Smith' });
    expect(encounter.period).toBeUndefined();
  });

  it('derives keyed ids that never contain the MRN or visit number', () => {
    expect(patient.id).toMatch(/^[0-9a-f]{40}$/);
    expect(encounter.id).toMatch(/^[0-9a-f]{40}$/);
    expect(patient.id).not.toContain('123456');
    expect(encounter.id).not.toContain('V1001');
    const otherKey = map(msg(...A01), { ...OPTIONS, idKey: new Uint8Array(32).fill(8) }).resources[0];
    expect(otherKey.id).not.toBe(patient.id);
  });

  it('maps the same message to identical resources every time', () => {
    expect(map(msg(...A01)).resources).toEqual(resources);
  });
});

describe('ADT^A04 (register)', () => {
  it('maps an outpatient registration, reading an offset-less time in the configured zone', () => {
    const [patient, encounter] = map(msg(...A04)).resources as Array<Record<string, any>>;
    expect(patient.birthDate).toBe('1975');
    expect(patient.gender).toBe('female');
    expect(encounter.status).toBe('in-progress');
    expect(encounter.class[0].coding[0].code).toBe('AMB');
    expect(encounter.actualPeriod).toEqual({ start: '2024-03-16T09:15:00+01:00' });
    const newYork = map(msg(...A04), { ...OPTIONS, timeZone: 'America/New_York' }).resources[1] as Record<string, any>;
    // US daylight saving time had started on 10 March 2024.
    expect(newYork.actualPeriod.start).toBe('2024-03-16T09:15:00-04:00');
  });

  it('falls back to PID-18 (account number) when PV1-19 is empty', () => {
    const segments = [...A04];
    segments[2] = 'PID|1||555^^^GOODHEALTH^MR||Roe^Jane||1975|F||||||||||ACC-9^^^GOODHEALTH^AN';
    segments[3] = 'PV1|1|O|CLINIC';
    const encounter = map(msg(...segments)).resources[1] as Record<string, any>;
    expect(encounter.identifier[0]).toMatchObject({ value: 'ACC-9', type: { coding: [{ code: 'AN' }] } });
  });
});

describe('ADT^A08 (update)', () => {
  it('updates the Patient admitted by A01 (same id) and needs no PV1', () => {
    const admitted = map(msg(...A01)).resources[0];
    const { resources } = map(msg(...A08_NO_PV1));
    expect(resources).toHaveLength(1);
    expect(resources[0].id).toBe(admitted.id);
    expect((resources[0] as Record<string, any>).address[0].line).toEqual(['500 Oak Ave']);
  });

  it('updates the Encounter admitted by A01 and completes it on a discharge time', () => {
    const admitted = map(msg(...A01)).resources[1];
    const update = [
      ...A08_NO_PV1,
      'PV1|1|I|ICU^12^A^GOODHEALTH||||||||||||||||V1001^^^GOODHEALTH^VN|||||||||||||||||||||||||20240315142500+0100|20240320110000+0100',
    ];
    const encounter = map(msg(...update)).resources[1] as Record<string, any>;
    expect(encounter.id).toBe(admitted.id);
    expect(encounter.status).toBe('completed');
    expect(encounter.actualPeriod).toEqual({ start: '2024-03-15T14:25:00+01:00', end: '2024-03-20T11:00:00+01:00' });
  });

  it('leaves the encounter alone when the PV1 names no visit', () => {
    expect(map(msg(...A08_NO_PV1, 'PV1|1|N')).resources.map((r) => r.resourceType)).toEqual(['Patient']);
  });
});

describe('patient identity', () => {
  const withIds = (pid3: string) =>
    map(msg(A08_NO_PV1[0], `PID|1||${pid3}||Doe^John||19800229|M`)).resources[0] as Record<string, any>;

  it('keys the Patient on the MR identifier whatever the repetition order', () => {
    const a = withIds('123456^^^GOODHEALTH^MR~X9^^^LAB^PI');
    const b = withIds('X9^^^LAB^PI~123456^^^GOODHEALTH^MR');
    expect(a.id).toBe(b.id);
    expect(b.identifier).toHaveLength(2);
  });

  it('keys the Patient on the configured authority', () => {
    const mapper = createHl7Mapper({ ...OPTIONS, patientIdAuthority: 'LAB' });
    const a = mapper(msg(A08_NO_PV1[0], 'PID|1||123456^^^GOODHEALTH^MR~X9^^^LAB^PI||Doe^John')).resources[0];
    const b = mapper(msg(A08_NO_PV1[0], 'PID|1||X9^^^LAB^PI||Doe^John')).resources[0];
    expect(a.id).toBe(b.id);
    const err = mappingError(() => mapper(msg(A08_NO_PV1[0], 'PID|1||123456^^^GOODHEALTH^MR||Doe^John')));
    expect(err.code).toBe('missing-field');
  });

  it('maps configured authorities to one system, so both spellings are one patient', () => {
    const options = { ...OPTIONS, identifierSystems: { GOODHEALTH: 'urn:oid:1.2.3.4', GH: 'urn:oid:1.2.3.4' } };
    const a = map(msg(A08_NO_PV1[0], 'PID|1||123456^^^GOODHEALTH^MR'), options).resources[0] as Record<string, any>;
    const b = map(msg(A08_NO_PV1[0], 'PID|1||123456^^^GH^MR'), options).resources[0] as Record<string, any>;
    expect(a.identifier[0].system).toBe('urn:oid:1.2.3.4');
    expect(a.id).toBe(b.id);
  });

  it('uses urn:oid for an ISO universal id', () => {
    const p = withIds('123456^^^&2.16.840.1.113883.19.5&ISO^MR');
    expect(p.identifier[0].system).toBe('urn:oid:2.16.840.1.113883.19.5');
  });

  it('omits a missing birth date and keeps a birth time as the birthTime extension', () => {
    expect(withIds('1^^^H^MR').birthDate).toBe('1980-02-29');
    const none = map(msg(A08_NO_PV1[0], 'PID|1||1^^^H^MR||Doe^John|||U')).resources[0] as Record<string, any>;
    expect(none.birthDate).toBeUndefined();
    expect(none.gender).toBe('unknown');
    const timed = map(msg(A08_NO_PV1[0], 'PID|1||1^^^H^MR||Doe^John||201001021830-0500|F')).resources[0] as Record<string, any>;
    expect(timed.birthDate).toBe('2010-01-02');
    expect(timed._birthDate.extension[0].valueDateTime).toBe('2010-01-02T18:30:00-05:00');
  });

  it('maps a death time', () => {
    const p = map(msg(A08_NO_PV1[0], 'PID|1||1^^^H^MR||Doe^John||1930|M|||||||||||||||||||||20240301043000+0100|Y')).resources[0] as Record<string, any>;
    expect(p.deceasedDateTime).toBe('2024-03-01T04:30:00+01:00');
    expect(p.deceasedBoolean).toBeUndefined();
  });
});

describe('ORU^R01', () => {
  const { resources } = map(msg(...ORU));
  const byType = (t: string) => resources.filter((r) => r.resourceType === t) as Array<Record<string, any>>;
  const [patient] = byType('Patient');
  const observations = byType('Observation');
  const [report] = byType('DiagnosticReport');

  it('yields the Patient, one Observation per OBX, then the DiagnosticReport', () => {
    expect(resources.map((r) => r.resourceType)).toEqual(['Patient', 'Observation', 'Observation', 'Observation', 'Observation', 'Observation', 'DiagnosticReport']);
    expect(patient.id).toBe(map(msg(...A01)).resources[0].id);
  });

  it('maps OBR to DiagnosticReport', () => {
    expect(report).toMatchObject({
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '24323-8', display: 'Comprehensive metabolic panel' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'CH' }] }],
      subject: { reference: `Patient/${patient.id}` },
      effectiveDateTime: '2024-03-15T08:00:00-05:00',
      issued: '2024-03-15T10:30:00-05:00',
      note: [{ text: 'Fasting specimen\ndrawn at bedside' }],
    });
    expect(report.identifier.map((i: any) => [i.type.coding[0].code, i.system, i.value])).toEqual([
      ['PLAC', 'urn:careledger:hl7:EPIC', 'ORD-123'],
      ['FILL', 'urn:careledger:hl7:LIS', 'LAB-456'],
    ]);
    expect(report.result).toEqual(observations.map((o) => ({ reference: `Observation/${o.id}` })));
    expect(report.encounter).toEqual({ identifier: { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'VN' }] }, system: 'urn:careledger:hl7:GOODHEALTH', value: 'V1001' } });
  });

  it('maps NM to a UCUM valueQuantity with range and interpretation', () => {
    expect(observations[0]).toMatchObject({
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
      effectiveDateTime: '2024-03-15T08:15:00-05:00',
      valueQuantity: { value: 182, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      referenceRange: [{ low: { value: 70, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' }, high: { value: 99, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' } }],
      interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }],
    });
  });

  it('maps ST to valueString, decoding escapes, and NTE to a note', () => {
    expect(observations[1].valueString).toBe('Specimen slightly hemolyzed');
    expect(observations[1].note).toEqual([{ text: 'Recollect if K & LDH matter' }]);
    // No OBX-14: the observation time is the order's (OBR-7).
    expect(observations[1].effectiveDateTime).toBe('2024-03-15T08:00:00-05:00');
  });

  it('maps CWE to valueCodeableConcept', () => {
    expect(observations[2].status).toBe('preliminary');
    expect(observations[2].valueCodeableConcept).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '112283007', display: 'Escherichia coli' }] });
  });

  it('maps SN with a comparator to a Quantity and SN ratio to valueRatio', () => {
    expect(observations[3].status).toBe('corrected');
    expect(observations[3].valueQuantity).toEqual({ value: 0.5, comparator: '<', unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' });
    expect(observations[4].valueRatio).toEqual({ numerator: { value: 1 }, denominator: { value: 128 } });
  });

  it('maps SN ranges', () => {
    const range = map(msg(...ORU.slice(0, 5), 'OBX|1|SN|X^Y^L||^10^-^20|mm||||||F')).resources[1] as Record<string, any>;
    expect(range.valueRange).toEqual({ low: { value: 10, unit: 'mm' }, high: { value: 20, unit: 'mm' } });
  });

  it('keeps ids stable across redelivery with a new control id (keyed on the filler order)', () => {
    const resent = [ORU[0].replace('LAB0001', 'LAB0999'), ...ORU.slice(1)];
    expect(map(msg(...resent)).resources.map((r) => r.id)).toEqual(resources.map((r) => r.id));
  });

  it('keys results on the control id when the order carries no numbers', () => {
    const unnumbered = [ORU[0], ORU[1], 'OBR|1|||24323-8^CMP^LN|||20240315080000-0500||||||||||||||||||F', ORU[6]];
    const a = map(msg(...unnumbered)).resources;
    const b = map(msg(unnumbered[0].replace('LAB0001', 'LAB0002'), ...unnumbered.slice(1))).resources;
    expect(a[1].id).not.toBe(b[1].id);
  });

  it('rejects two OBX with one set id under an OBR', () => {
    const err = mappingError(() => map(msg(...ORU.slice(0, 5), ORU[6], ORU[6])));
    expect(err.code).toBe('duplicate-key');
    expect(err.ackCode).toBe('AE');
  });

  it('keeps a non-numeric NM value and an unsupported value type as a data-absent Observation with a warning', () => {
    const nm = map(msg(...ORU.slice(0, 5), 'OBX|1|NM|2345-7^Glucose^LN||high||||||F'));
    expect(nm.warnings).toEqual([expect.objectContaining({ code: 'bad-value', location: expect.objectContaining({ segment: 'OBX', field: 5 }) })]);
    expect((nm.resources[1] as Record<string, any>).dataAbsentReason.coding[0].code).toBe('error');
    const rp = map(msg(...ORU.slice(0, 5), 'OBX|1|RP|X^Y^L||ref^app||||||F'));
    expect(rp.warnings[0].text).toMatch(/'RP' is not supported/);
    expect((rp.resources[1] as Record<string, any>).dataAbsentReason.coding[0].code).toBe('unsupported');
  });

  it('points at the OBX when an OBX comes before any OBR', () => {
    const err = mappingError(() => map(msg(ORU[0], ORU[1], ORU[6], ORU[4])));
    expect(err.location).toEqual({ segment: 'OBX', sequence: 1 });
  });

  it('requires PID and OBR', () => {
    expect(mappingError(() => map(msg(ORU[0], ...ORU.slice(4)))).code).toBe('missing-segment');
    expect(mappingError(() => map(msg(ORU[0], ORU[1]))).message).toMatch(/no OBR/);
  });
});

describe('mapping errors', () => {
  it('rejects an unsupported message type with AR', () => {
    const err = mappingError(() => map(msg(A01[0].replace('ADT^A01^ADT_A01', 'ADT^A17^ADT_A17'), ...A01.slice(1))));
    expect(err.code).toBe('unsupported-message-type');
    expect(err.ackCode).toBe('AR');
    expect(err.conditionCode.code).toBe('200');
  });

  it('rejects an unsupported version and a header without control id', () => {
    expect(mappingError(() => map(msg(A01[0].replace('|2.5.1|', '|2.1|'), ...A01.slice(1)))).code).toBe('unsupported-version');
    expect(mappingError(() => map(msg(A01[0].replace('|MSG00001|', '||'), ...A01.slice(1)))).code).toBe('bad-header');
  });

  it('names the segment and field of what it cannot do without: missing PID, empty PID-3', () => {
    expect(mappingError(() => map(msg(A01[0], A01[1], A01[3])))).toMatchObject({ code: 'missing-segment', ackCode: 'AE' });
    expect(mappingError(() => map(msg(A08_NO_PV1[0], 'PID|1||^^^GOODHEALTH^MR||Doe^John')))).toMatchObject({ code: 'missing-field', location: { segment: 'PID', field: 3 } });
  });

  it('keeps the patient and warns about a bad birth date or sex code', () => {
    const bad = map(msg(A08_NO_PV1[0], 'PID|1||1^^^H^MR||Doe^John||19801340|Q'));
    expect(bad.resources[0]).not.toHaveProperty('birthDate');
    expect(bad.resources[0]).not.toHaveProperty('gender');
    expect(bad.warnings.map((w) => [w.code, w.location?.segment, w.location?.field])).toEqual([
      ['bad-value', 'PID', 8],
      ['bad-value', 'PID', 7],
    ]);
    expect(bad.warnings[1].text).toContain('PID-7');
  });

  it('requires a PV1 on A01 and stores an A01 without a visit number with a warning', () => {
    expect(mappingError(() => map(msg(A01[0], A01[1], A01[2]))).code).toBe('missing-segment');
    const noVisit = A01[2].replace('ACC-77^^^GOODHEALTH^AN', '');
    const mapped = map(msg(A01[0], A01[1], noVisit, 'PV1|1|I'));
    const encounter = mapped.resources[1] as Record<string, any>;
    expect(encounter.identifier).toBeUndefined();
    expect(encounter.status).toBe('in-progress');
    expect(mapped.warnings).toEqual([expect.objectContaining({ location: expect.objectContaining({ segment: 'PV1', field: 19 }) })]);
    expect(validateR5(encounter)).toEqual([]);
  });

  it('leaves out a discharge before the admission, with a warning', () => {
    const pv1 = 'PV1|1|I|ICU||||||||||||||||V1|||||||||||||||||||||||||20240315142500+0100|20240314110000+0100';
    const mapped = map(msg(A01[0], A01[1], A01[2], pv1));
    expect((mapped.resources[1] as Record<string, any>).actualPeriod).toEqual({ start: '2024-03-15T14:25:00+01:00' });
    expect(mapped.warnings[0].location).toMatchObject({ segment: 'PV1', field: 45 });
  });

  it('refuses an id key shorter than 32 bytes', () => {
    expect(() => createHl7Mapper({ idKey: new Uint8Array(16) })).toThrow(/at least 32 bytes/);
  });
});

describe('R5 validity', () => {
  const samples: Record<string, Hl7Message> = {
    'ADT^A01': msg(...A01),
    'ADT^A04': msg(...A04),
    'ADT^A08 without PV1': msg(...A08_NO_PV1),
    'ADT^A08 discharged': msg(...A08_NO_PV1, A01[3].replace('+0100', '+0100|20240320110000+0100')),
    'ORU^R01': msg(...ORU),
    'ORU^R01 SN range, DT, TM': msg(...ORU.slice(0, 5), 'OBX|1|SN|X^Y^L||^10^-^20|mm||||||F', 'OBX|2|DT|X^Z^L||20240301||||||F', 'OBX|3|TM|X^T^L||0830||||||F'),
    'death and birth time': msg(A08_NO_PV1[0], 'PID|1||1^^^H^MR||Doe^John||201001021830-0500|M|||||||||||||||||||||20240301043000+0100|Y'),
  };
  for (const [name, message] of Object.entries(samples)) {
    it(`${name} yields resources validateR5 accepts`, () => {
      for (const resource of map(message).resources) expect(validateR5(resource), `${resource.resourceType}/${resource.id}`).toEqual([]);
    });
  }

  it('every benchmark message yields valid R5', () => {
    const mapper = createHl7Mapper(OPTIONS);
    for (const text of generateHl7Messages(20)) {
      for (const resource of mapper(Hl7Message.parse(text)).resources) expect(validateR5(resource)).toEqual([]);
    }
  });
});
