// Every message type the mapper takes beyond A01/A04/A08/ORU, each shaped like a real vendor
// feed (Epic/Cerner/Meditech habits: Z-segments, repeated fields, escape sequences, MSH-18),
// each checked for the resources it yields and for R5 validity.

import { Hl7Message } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { createHl7Mapper, type Hl7MappingOptions } from './map-message.js';
import { OBX_CONTACT_POINT } from './observation-value.js';
import { validateR5 } from '../validation/index.js';

const OPTIONS: Hl7MappingOptions = { idKey: new Uint8Array(32).fill(7), timeZone: 'America/Chicago' };
const mapper = createHl7Mapper(OPTIONS);
const map = (...segments: string[]) => mapper(Hl7Message.parse(segments.join('\r')));
type R = Record<string, any>;

const msh = (type: string, control: string, charset = 'UNICODE UTF-8') =>
  String.raw`MSH|^~\&|EPICADT|SMH^1.2.840.114350.1.13.99^ISO|CARELEDGER|SMH|20240402101500-0500||${type}|${control}|P|2.5.1|||AL|NE|USA|${charset}`;
const PID = String.raw`PID|1||E1234567^^^SMH^MR~999-12-3456^^^SSA^SS||O'Brien^Mary^Kate^^^^L~OBRIEN^MARY^^^^^A||19620714|F||2106-3^White^CDCREC|42 Lakeview Dr^Unit \T\ 3^Madison^WI^53703^USA^H||^PRN^PH^^1^608^5551234|||M||ACCT-88123^^^SMH^AN`;
const ZPD = 'ZPD|1|PREFERRED PHARMACY^WALGREENS #123|Y';
const PV1 = (extra = '') => `PV1|1|I|4WEST^412^B^SMH^^^^^4 West||||5566^Adams^Paul^^^Dr^MD^^SMH|||MED||||1|||5566^Adams^Paul|IN|V20240402001^^^SMH^VN${'|'.repeat(20)}SMH${'|'.repeat(5)}20240401081500-0500${extra}`;

const validate = (resources: FhirResourceLike[]) => {
  for (const r of resources) expect(validateR5(r), `${r.resourceType}/${r.id}`).toEqual([]);
};
type FhirResourceLike = { resourceType: string; id?: string } & R;

describe('ADT events', () => {
  const admitted = map(msh('ADT^A01^ADT_A01', 'E1'), 'EVN|A01|20240401081500-0500', PID, ZPD, PV1());
  const encounterId = admitted.resources[1].id;

  it('A02 transfer: the new bed is active, the one left completed, same Encounter', () => {
    const { resources, warnings } = map(
      msh('ADT^A02^ADT_A02', 'E2'),
      'EVN|A02|20240402101500-0500|||jdoe^Doe^Jane|20240402101000-0500',
      PID,
      PV1().replace('4WEST^412^B^SMH^^^^^4 West||||', '5EAST^501^A^SMH|||4WEST^412^B^SMH|'),
    );
    const encounter = resources[1] as R;
    expect(warnings).toEqual([]);
    expect(encounter.id).toBe(encounterId);
    expect(encounter.status).toBe('in-progress');
    expect(encounter.location).toEqual([
      { location: { display: '4WEST 412 B' }, status: 'completed' },
      { location: { display: '5EAST 501 A' }, status: 'active' },
    ]);
    validate(resources as FhirResourceLike[]);
  });

  it('A03 discharge: completed, the end from PV1-45 or else EVN-6', () => {
    const withTime = map(msh('ADT^A03^ADT_A03', 'E3'), 'EVN|A03|20240405140000-0500', PID, PV1('|20240405133000-0500'));
    expect(withTime.resources[1]).toMatchObject({ id: encounterId, status: 'completed', actualPeriod: { start: '2024-04-01T08:15:00-05:00', end: '2024-04-05T13:30:00-05:00' } });
    const fromEvn = map(msh('ADT^A03^ADT_A03', 'E3b'), 'EVN|A03|20240405140000-0500||||20240405135500-0500', PID, PV1());
    expect((fromEvn.resources[1] as R).actualPeriod.end).toBe('2024-04-05T13:55:00-05:00');
    validate([...withTime.resources, ...fromEvn.resources] as FhirResourceLike[]);
  });

  it('A05 pre-admit: a planned Encounter', () => {
    const { resources } = map(msh('ADT^A05^ADT_A05', 'E5'), 'EVN|A05|20240330090000-0500', PID, PV1().replace('PV1|1|I|', 'PV1|1|P|'));
    expect(resources[1]).toMatchObject({ status: 'planned', class: [{ coding: [{ code: 'PRENC' }] }] });
    validate(resources as FhirResourceLike[]);
  });

  it('A11 cancel admit: the same Encounter, cancelled', () => {
    const { resources } = map(msh('ADT^A11^ADT_A09', 'E11'), 'EVN|A11|20240401090000-0500', PID, PV1());
    expect(resources[1]).toMatchObject({ id: encounterId, status: 'cancelled' });
    validate(resources as FhirResourceLike[]);
  });

  it('A13 cancel discharge: back in progress, without the cancelled end', () => {
    const { resources } = map(msh('ADT^A13^ADT_A01', 'E13'), 'EVN|A13|20240405150000-0500', PID, PV1('|20240405133000-0500'));
    expect(resources[1]).toMatchObject({ id: encounterId, status: 'in-progress', actualPeriod: { start: '2024-04-01T08:15:00-05:00' } });
    expect((resources[1] as R).actualPeriod.end).toBeUndefined();
  });

  it('A28 / A31 add and update person: the Patient only, a Meditech-style PV1|1|N ignored', () => {
    for (const event of ['A28', 'A31']) {
      const { resources, warnings } = map(msh(`ADT^${event}^ADT_A05`, `P${event}`), `EVN|${event}|20240402101500-0500`, PID, 'PV1|1|N');
      expect(resources.map((r) => r.resourceType)).toEqual(['Patient']);
      expect(resources[0].id).toBe(admitted.resources[0].id);
      expect(warnings).toEqual([]);
      expect((resources[0] as R).address[0].line).toEqual(['42 Lakeview Dr', 'Unit & 3']);
    }
  });

  it('A40 merge: the survivor replaces the old record, which is inactive and replaced-by', () => {
    const { resources } = map(
      msh('ADT^A40^ADT_A39', 'E40'),
      'EVN|A40|20240402101500-0500',
      PID,
      'MRG|E7654321^^^SMH^MR||ACCT-1^^^SMH^AN',
    );
    const [survivor, old] = resources as R[];
    expect(survivor.link).toEqual([{ other: { reference: `Patient/${old.id}` }, type: 'replaces' }]);
    expect(old).toEqual({
      resourceType: 'Patient',
      id: old.id,
      identifier: [expect.objectContaining({ value: 'E7654321', system: 'urn:careledger:hl7:SMH' })],
      active: false,
      link: [{ other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' }],
    });
    expect(old.id).toBe(map(msh('ADT^A08^ADT_A01', 'X'), 'PID|1||E7654321^^^SMH^MR||Old^Record').resources[0].id);
    validate(resources as FhirResourceLike[]);
  });

  it('a change event without a visit number keeps the patient and warns', () => {
    const { resources, warnings } = map(msh('ADT^A03^ADT_A03', 'E3c'), 'EVN|A03|20240405140000-0500', PID.replace('ACCT-88123^^^SMH^AN', ''), 'PV1|1|I|4WEST');
    expect(resources.map((r) => r.resourceType)).toEqual(['Patient']);
    expect(warnings[0]).toMatchObject({ location: { segment: 'PV1', field: 19 } });
  });
});

describe('ORM^O01 and OML^O21 -> ServiceRequest', () => {
  const orm = [
    msh('ORM^O01^ORM_O01', 'O1'),
    PID,
    PV1(),
    'ORC|NW|PLC-1001^EPIC|||SC||^^^20240402110000-0500^^R||20240402101400-0500|||7788^Lee^Ann^^^^^^SMH',
    'OBR|1|PLC-1001^EPIC||71046^XR CHEST 2 VIEWS^CPT|||20240402110000-0500||||||||||||||||||||||||R07.9^Chest pain^I10',
    'ORC|NW|PLC-1002^EPIC||||||||||7788^Lee^Ann',
    'OBR|2|PLC-1002^EPIC||24323-8^CMP^LN|S',
    'ZOR|1|FASTING',
  ];

  it('yields one active order per ORC with code, requester, priority and reason', () => {
    const { resources } = map(...orm);
    const [, first, second] = resources as R[];
    expect(resources.map((r) => r.resourceType)).toEqual(['Patient', 'ServiceRequest', 'ServiceRequest']);
    expect(first).toMatchObject({
      status: 'active',
      intent: 'order',
      priority: 'routine',
      code: { concept: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '71046' }] } },
      authoredOn: '2024-04-02T10:14:00-05:00',
      occurrenceDateTime: '2024-04-02T11:00:00-05:00',
      requester: { identifier: { value: '7788' }, display: 'Ann Lee' },
      reason: [{ concept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'R07.9' }] } }],
      encounter: { identifier: expect.objectContaining({ value: 'V20240402001' }) },
    });
    expect(second.priority).toBe('stat');
    validate(resources as FhirResourceLike[]);
  });

  it('a cancel (ORC-1 CA) revokes the same ServiceRequest; OML^O21 maps the same way', () => {
    const created = map(...orm).resources[1];
    const cancelled = map(msh('ORM^O01^ORM_O01', 'O2'), PID, 'ORC|CA|PLC-1001^EPIC', orm[4]).resources[1];
    expect(cancelled).toMatchObject({ id: created.id, status: 'revoked' });
    const oml = map(msh('OML^O21^OML_O21', 'O3'), PID, 'ORC|NW|PLC-2001^EPIC', 'TQ1|1||||||20240403080000-0500||A', 'OBR|1|PLC-2001^EPIC||2345-7^Glucose^LN');
    expect(oml.resources[1]).toMatchObject({ resourceType: 'ServiceRequest', priority: 'asap', occurrenceDateTime: '2024-04-03T08:00:00-05:00' });
    validate(oml.resources as FhirResourceLike[]);
  });
});

describe('SIU -> Appointment', () => {
  const siu = (event: string, status: string) => [
    msh(`SIU^${event}^SIU_S12`, `S${event}`),
    `SCH|APT-77^EPIC|F-5001^CADENCE|||||ROUTINE^Routine visit^HL70276|FOLLOWUP^Follow-up^HL70277|30|MIN|^^30^20240410093000-0500^20240410100000-0500${'|'.repeat(14)}${status}`,
    PID,
    'RGS|1|A',
    'AIS|1|A|99213^Office visit^CPT|20240410093000-0500|||30|MIN',
    'AIP|1|A|5566^Adams^Paul^^^Dr|MD',
    'AIL|1|A|CLINIC2^^^SMH',
  ];

  it('S12 books, S13/S14 keep the id, S15 cancels', () => {
    const booked = map(...siu('S12', 'Booked')).resources[1] as R;
    expect(booked).toMatchObject({
      status: 'booked',
      start: '2024-04-10T09:30:00-05:00',
      end: '2024-04-10T10:00:00-05:00',
      appointmentType: { coding: [{ code: 'FOLLOWUP' }] },
      reason: [{ concept: { coding: [{ code: 'ROUTINE' }] } }],
    });
    expect(booked.participant).toEqual([
      { actor: { reference: expect.stringMatching(/^Patient\//) }, status: 'accepted' },
      { actor: { identifier: { value: '5566' }, display: 'Dr Paul Adams' }, status: 'accepted' },
      { actor: { display: 'CLINIC2' }, status: 'accepted' },
    ]);
    expect(map(...siu('S13', 'Booked')).resources[1].id).toBe(booked.id);
    const cancelled = map(...siu('S15', '')).resources[1] as R;
    expect(cancelled).toMatchObject({ id: booked.id, status: 'cancelled' });
    validate([booked, cancelled] as FhirResourceLike[]);
  });

  it('reads the time from AIS-4 and AIS-7 when SCH-11 is empty', () => {
    const segments = siu('S12', 'Booked');
    segments[1] = segments[1].replace('^^30^20240410093000-0500^20240410100000-0500', '');
    expect(map(...segments).resources[1]).toMatchObject({ start: '2024-04-10T09:30:00-05:00', end: '2024-04-10T10:00:00-05:00' });
  });
});

describe('MDM -> DocumentReference', () => {
  const mdm = (event: string) => [
    msh(`MDM^${event}^MDM_T02`, `D${event}`),
    'EVN|T02|20240402120000-0500',
    PID,
    PV1(),
    'TXA|1|DS^Discharge summary^HL70270|TX|20240402115500-0500|5566^Adams^Paul||20240402115900-0500|||||DOC-8812^EPIC|||||AU||AV',
    String.raw`OBX|1|TX|18842-5^Discharge summary^LN|1|Patient admitted with chest pain.\.br\Ruled out MI.||||||F`,
    'OBX|2|TX|18842-5^Discharge summary^LN|2|Discharged home, follow up in 1 week.||||||F',
  ];

  it('T02 stores the text body as a final, current document', () => {
    const { resources } = map(...mdm('T02'));
    const doc = resources[1] as R;
    expect(doc).toMatchObject({
      resourceType: 'DocumentReference',
      status: 'current',
      docStatus: 'final',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0270', code: 'DS', display: 'Discharge summary' }] },
      date: '2024-04-02T11:55:00-05:00',
      author: [{ identifier: { value: '5566' }, display: 'Paul Adams' }],
      identifier: [expect.objectContaining({ value: 'DOC-8812' })],
    });
    expect(Buffer.from(doc.content[0].attachment.data, 'base64').toString('utf8')).toBe('Patient admitted with chest pain.\nRuled out MI.\nDischarged home, follow up in 1 week.');
    validate(resources as FhirResourceLike[]);
  });

  it('an ED body (a Base64 PDF) is kept as an attachment; T11 marks the same document entered-in-error', () => {
    const pdf = Buffer.from('%PDF-1.4 test').toString('base64');
    const segments = [...mdm('T02').slice(0, 5), `OBX|1|ED|PDF^Report^L||EPIC^AP^PDF^Base64^${pdf}||||||F`];
    const doc = map(...segments).resources[1] as R;
    expect(doc.content).toEqual([{ attachment: { contentType: 'application/pdf', data: pdf, title: 'Discharge summary' } }]);
    const cancelled = map(...mdm('T11').slice(0, 5)).resources[1] as R;
    expect(cancelled).toMatchObject({ id: doc.id, status: 'entered-in-error' });
    validate([doc, cancelled] as FhirResourceLike[]);
  });
});

describe('VXU^V04 -> Immunization', () => {
  const vxu = [
    msh('VXU^V04^VXU_V04', 'V1', '8859/1'),
    PID,
    'PD1|||||||||||02^Reminder/recall - any method^HL70215|N',
    'NK1|1|OBrien^Sean|SPO^Spouse^HL70063',
    'ORC|RE||IZ-445^SMH|||||||7788^Lee^Ann',
    'RXA|0|1|20240402103000-0500|20240402103000-0500|208^COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose^CVX|0.3|mL^milliliter^UCUM||00^New immunization record^NIP001|7788^Lee^Ann|||||EW0182|20241231|PFR^Pfizer^MVX|||CP|A',
    'RXR|IM^Intramuscular^HL70162|LD^Left Deltoid^HL70163',
    'OBX|1|CE|64994-7^Vaccine funding program eligibility category^LN|1|V01^Not VFC eligible^HL70064||||||F',
  ];

  it('maps RXA and RXR to a completed Immunization', () => {
    const { resources } = map(...vxu);
    const imm = resources[1] as R;
    expect(imm).toMatchObject({
      status: 'completed',
      vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '208' }] },
      occurrenceDateTime: '2024-04-02T10:30:00-05:00',
      doseQuantity: { value: 0.3, unit: 'milliliter', system: 'http://unitsofmeasure.org', code: 'mL' },
      lotNumber: 'EW0182',
      expirationDate: '2024-12-31',
      manufacturer: { concept: { coding: [{ system: 'http://hl7.org/fhir/sid/mvx', code: 'PFR' }] } },
      primarySource: true,
      route: { coding: [{ code: 'IM' }] },
      site: { coding: [{ code: 'LD' }] },
      performer: [{ actor: { identifier: { value: '7788' } } }],
    });
    validate(resources as FhirResourceLike[]);
  });

  it('a refusal is not-done; a delete (RXA-21 D) marks the same record entered-in-error', () => {
    const refused = map(...vxu.slice(0, 5), vxu[5].replace('|CP|A', '|RE|A').replace('||00^New', '||00^New'), vxu[6]).resources[1] as R;
    expect(refused.status).toBe('not-done');
    const deleted = map(...vxu.slice(0, 5), vxu[5].replace('|CP|A', '|CP|D')).resources[1] as R;
    expect(deleted).toMatchObject({ id: refused.id, status: 'entered-in-error' });
  });
});

describe('fields the mapper cannot place become warnings, never a lost message', () => {
  const oru = (obx: string) => [msh('ORU^R01^ORU_R01', 'L1'), PID, 'OBR|1|ORD-1^EPIC|FIL-1^LAB|24323-8^CMP^LN|||20240402080000-0500||||||||||||||||||F', obx];

  it('an ED result becomes valueAttachment', () => {
    const { resources, warnings } = map(...oru('OBX|1|ED|11502-2^Lab report^LN||LAB^AP^PDF^Base64^JVBERi0xLjQ=||||||F'));
    expect(warnings).toEqual([]);
    expect((resources[1] as R).valueAttachment).toEqual({ contentType: 'application/pdf', data: 'JVBERi0xLjQ=' });
    validate(resources as FhirResourceLike[]);
  });

  it('an XTN result keeps the number as valueString and the ContactPoint in an extension', () => {
    const { resources } = map(...oru('OBX|1|XTN|CALLBACK^Call back number^L||^WPN^PH^^1^608^5559999||||||F'));
    const obs = resources[1] as R;
    expect(obs.valueString).toBe('+1 608 5559999');
    expect(obs.extension).toEqual([{ url: OBX_CONTACT_POINT, valueContactPoint: { system: 'phone', value: '+1 608 5559999', use: 'work' } }]);
    validate(resources as FhirResourceLike[]);
  });

  it('PID-30 NO: the patient without a deceased flag, and a warning on PID-30', () => {
    const pid = `${PID}${'|'.repeat(12)}NO`;
    const { resources, warnings } = map(msh('ADT^A08^ADT_A01', 'W1'), pid);
    expect(resources[0]).not.toHaveProperty('deceasedBoolean');
    expect(warnings).toEqual([expect.objectContaining({ code: 'bad-value', location: { segment: 'PID', sequence: 1, field: 30, component: undefined } })]);
  });
});
