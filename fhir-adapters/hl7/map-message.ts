// HL7 v2 message -> the R5 resources it describes. Pure: the same message and options always
// give the same resources (ids included), which is what makes redelivery a no-op downstream.
//
//   ADT^A01 A04 A05 A08        PID -> Patient, PV1 -> Encounter (optional on A08)
//   ADT^A02 A03 A11 A13        PID -> Patient, PV1 -> Encounter (transfer, discharge, cancels)
//   ADT^A28 A31                PID -> Patient
//   ADT^A40                    PID + MRG -> surviving Patient, merged-away Patient (Patient.link)
//   ORU^R01                    PID -> Patient, OBR -> DiagnosticReport, OBX -> Observation
//   ORM^O01, OML^O21           PID -> Patient, ORC/OBR -> ServiceRequest
//   SIU^S12 S13 S14 S15 S26    PID -> Patient, SCH/AIx -> Appointment
//   MDM^T02 T04 T06 T08 T10 T11 PID -> Patient, TXA + OBX -> DocumentReference
//   VXU^V04                    PID -> Patient, RXA/RXR -> Immunization
//
// A field that cannot be placed is a warning (the ACK says AA with an ERR of severity W); only
// what identifies a resource or is required for it to exist at all refuses the message.

import type { Hl7Message } from '@medplum/core';
import type { FhirResource } from '../../gateway/store/service.js';
import { mapAppointment, type SchedulingSegments } from './appointment.js';
import { codeSystemResolver } from './code-systems.js';
import { mapDiagnosticReport, orderIdentifiers, reportKey } from './diagnostic-report.js';
import { DOCUMENT_STATUS_EVENTS, mapDocumentReference } from './document-reference.js';
import { eiToIdentifier } from './datatypes.js';
import { mapEncounter, visitIdentifier, type VisitEvent } from './encounter.js';
import { mapImmunization } from './immunization.js';
import { identifierSystemResolver, optionalField, readDateTime, warnUnplaced, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation, type Hl7Warning } from './mapping-error.js';
import { mapObservation } from './observation.js';
import { mapPatient } from './patient.js';
import { mapPatientMerge } from './patient-merge.js';
import { resourceIdDeriver } from './resource-ids.js';
import { mapServiceRequest, orderRequestIdentifiers, requestKey, type OrderSegments } from './service-request.js';
import { readSegments, type V2Segment } from './v2-segment.js';
import { zoneOffsetResolver } from './v2-datetime.js';

/** What each ADT event does to the visit: `creates` events may open an Encounter without a
 * visit number (keyed on the message, with a warning); the others change an Encounter they
 * must be able to name. */
const ADT_EVENTS: Record<string, { visit: VisitEvent; creates: boolean; pv1: 'required' | 'optional' } | 'person' | 'merge'> = {
  A01: { visit: 'admit', creates: true, pv1: 'required' },
  A04: { visit: 'admit', creates: true, pv1: 'required' },
  A05: { visit: 'pre-admit', creates: true, pv1: 'required' },
  A08: { visit: 'update', creates: false, pv1: 'optional' },
  A02: { visit: 'transfer', creates: false, pv1: 'required' },
  A03: { visit: 'discharge', creates: false, pv1: 'required' },
  A11: { visit: 'cancel-admit', creates: false, pv1: 'required' },
  A13: { visit: 'cancel-discharge', creates: false, pv1: 'required' },
  A28: 'person',
  A31: 'person',
  A40: 'merge',
};

const SUPPORTED_MESSAGE_TYPES = [
  ...Object.keys(ADT_EVENTS).map((event) => `ADT^${event}`),
  'ORU^R01',
  'ORM^O01',
  'OML^O21',
  ...['S12', 'S13', 'S14', 'S15', 'S26'].map((event) => `SIU^${event}`),
  ...['T02', 'T04', 'T06', 'T08', 'T10', 'T11'].map((event) => `MDM^${event}`),
  'VXU^V04',
];
export type SupportedMessageType = string;

/** v2.3 is the first version whose PID-3 is a CX with an assigning authority. */
const SUPPORTED_VERSION = /^2\.[3-9](\.\d+)?$/;

export interface Hl7MappingOptions {
  /** Secret for the keyed hash behind every resource id, at least 32 bytes. Keep it stable:
   * a new key gives every patient, encounter and result a new id. */
  idKey: Uint8Array;
  /** Assigning authority (namespace id or universal id) -> identifier system URI. Default:
   * urn:oid:<oid> for ISO OIDs, urn:careledger:hl7:<authority> otherwise. */
  identifierSystems?: Readonly<Record<string, string>>;
  /** v2 coding system name (CWE.3) -> code system URI, for local code systems. */
  codeSystems?: Readonly<Record<string, string>>;
  /** IANA time zone of the sender, for v2 times without an offset. Default: this process's zone. */
  timeZone?: string;
  /** Which PID-3 authority keys the Patient id (an authority name, OID or system URI). Default:
   * the first identifier typed MR, else the first identifier. */
  patientIdAuthority?: string;
}

export interface MappedHl7Message {
  messageType: SupportedMessageType;
  controlId: string;
  /** In dependency order: Patients first, then what refers to them. */
  resources: FhirResource[];
  /** Fields left out, each for one ERR segment of severity W in the AA. */
  warnings: Hl7Warning[];
}

export type Hl7Mapper = (message: Hl7Message) => MappedHl7Message;

interface Header {
  msh: V2Segment;
  evn: V2Segment | undefined;
  messageType: SupportedMessageType;
  event: string;
  controlId: string;
}

function readHeader(segments: V2Segment[]): Header {
  const msh = segments[0];
  if (!msh || msh.name !== 'MSH') {
    throw new Hl7MappingError('bad-header', 'message does not start with an MSH segment', { segment: 'MSH', sequence: 1 });
  }
  const controlId = msh.value(10);
  if (!controlId) throw new Hl7MappingError('bad-header', 'MSH-10 (message control id) is empty', msh.at(10));
  const code = msh.value(9, 1).toUpperCase();
  const event = msh.value(9, 2).toUpperCase();
  if (!code || !event) throw new Hl7MappingError('bad-header', 'MSH-9 (message type) needs a message code and a trigger event', msh.at(9));
  const version = msh.value(12);
  if (!SUPPORTED_VERSION.test(version)) {
    throw new Hl7MappingError('unsupported-version', `MSH-12 version '${version}' is not supported (2.3 to 2.9 are)`, msh.at(12));
  }
  const messageType = `${code}^${event}`;
  if (!SUPPORTED_MESSAGE_TYPES.includes(messageType)) {
    throw new Hl7MappingError('unsupported-message-type', `message type ${messageType} is not supported (${SUPPORTED_MESSAGE_TYPES.join(', ')} are)`, msh.at(9));
  }
  return { msh, evn: segments.find((s) => s.name === 'EVN'), messageType, event, controlId };
}

function required(segments: V2Segment[], name: string, messageType: string): V2Segment {
  const found = segments.find((s) => s.name === name);
  if (!found) throw new Hl7MappingError('missing-segment', `${messageType} has no ${name} segment`, { segment: name });
  return found;
}

function mapAdt(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined): FhirResource[] {
  const pid = required(segments, 'PID', header.messageType);
  const patient = mapPatient(ctx, pid, patientKeySystem);
  const kind = ADT_EVENTS[header.event];
  if (kind === 'person') return [patient.resource];
  if (kind === 'merge') {
    const mrg = required(segments, 'MRG', header.messageType);
    return [patient.resource, mapPatientMerge(ctx, patient.resource, mrg, patientKeySystem)];
  }
  const pv1 = segments.find((s) => s.name === 'PV1');
  if (!pv1) {
    if (kind.pv1 === 'optional') return [patient.resource];
    throw new Hl7MappingError('missing-segment', `${header.messageType} has no PV1 segment`, { segment: 'PV1' });
  }
  const visit = visitIdentifier(ctx, pv1, pid);
  if (!visit && !kind.creates) {
    // An update, transfer, discharge or cancel that cannot name its visit would change an
    // encounter nobody can find; the patient part is still current.
    if (kind.visit !== 'update' || pv1.value(2).toUpperCase() !== 'N') {
      warnUnplaced(ctx, pv1.at(19), `${describeLocation(pv1.at(19))} (visit number) and PID-18 (account number) are both empty: no encounter changed`, 'missing-field');
    }
    return [patient.resource];
  }
  if (!visit) warnUnplaced(ctx, pv1.at(19), `${describeLocation(pv1.at(19))} (visit number) and PID-18 (account number) are both empty: the encounter is stored without an identifier`, 'missing-field');
  return [
    patient.resource,
    mapEncounter(ctx, { pv1, visit, controlId: header.controlId, patientReference: patient.reference, msh: header.msh, evn: header.evn, event: kind.visit }),
  ];
}

/** The patient of a non-ADT message and, from its PV1, a logical reference to the visit. */
function patientPart(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined) {
  const pid = required(segments, 'PID', header.messageType);
  const patient = mapPatient(ctx, pid, patientKeySystem);
  const pv1 = segments.find((s) => s.name === 'PV1');
  const visit = pv1 && visitIdentifier(ctx, pv1, pid);
  return { patient, encounter: visit ? { identifier: visit } : undefined };
}

/** ORM^O01 / OML^O21: each ORC opens an order; an OBR (or TQ1) belongs to the order before it. */
function mapOrders(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined): FhirResource[] {
  const { patient, encounter } = patientPart(ctx, header, segments, patientKeySystem);
  const orders: OrderSegments[] = [];
  for (const segment of segments) {
    if (segment.name === 'ORC') orders.push({ orc: segment });
    else if (segment.name === 'OBR' || segment.name === 'TQ1') {
      const current = orders.at(-1);
      const key = segment.name === 'OBR' ? 'obr' : 'tq1';
      if (!current || current[key]) orders.push({ [key]: segment });
      else current[key] = segment;
    }
  }
  if (orders.length === 0) throw new Hl7MappingError('missing-segment', `${header.messageType} has no ORC segment`, { segment: 'ORC' });
  const seen = new Set<string>();
  const requests = orders.map((order, index) => {
    const key = requestKey(orderRequestIdentifiers(ctx, order), header.controlId, index + 1);
    const id = ctx.ids('ServiceRequest', ...key);
    if (seen.has(id)) {
      const where = (order.orc ?? order.obr)!.at(2);
      throw new Hl7MappingError('duplicate-key', `${describeLocation(where)} order number repeats within the message`, where);
    }
    seen.add(id);
    return mapServiceRequest(ctx, order, { id, subject: patient.reference, encounter });
  });
  return [patient.resource, ...requests];
}

/** SIU^S12-S15, S26: one SCH, the AIS/AIG/AIL/AIP resources, the patient in PID. */
function mapScheduling(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined): FhirResource[] {
  const sch = required(segments, 'SCH', header.messageType);
  const { patient } = patientPart(ctx, header, segments, patientKeySystem);
  const appointmentId = eiToIdentifier(ctx, sch.first(2), 'FILL') ?? eiToIdentifier(ctx, sch.first(1), 'PLAC');
  if (!appointmentId) {
    throw new Hl7MappingError('missing-field', 'SCH-2 (filler appointment id) and SCH-1 (placer appointment id) are both empty: the appointment cannot be identified', sch.at(2));
  }
  const scheduling: SchedulingSegments = { sch, resources: segments.filter((s) => ['AIS', 'AIG', 'AIL', 'AIP'].includes(s.name)) };
  const id = ctx.ids('Appointment', appointmentId.system ?? '', appointmentId.value);
  return [patient.resource, mapAppointment(ctx, scheduling, { id, event: header.event, patient: patient.reference })];
}

/** MDM: TXA names the document (TXA-12 unique document number keys it), OBX carry its body. */
function mapDocument(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined): FhirResource[] {
  const txa = required(segments, 'TXA', header.messageType);
  const { patient, encounter } = patientPart(ctx, header, segments, patientKeySystem);
  const number = eiToIdentifier(ctx, txa.first(12), 'FILL');
  if (!number && DOCUMENT_STATUS_EVENTS[header.event]) {
    throw new Hl7MappingError('missing-field', `${describeLocation(txa.at(12))} (unique document number) is empty: there is no document to change`, txa.at(12));
  }
  if (!number) warnUnplaced(ctx, txa.at(12), `${describeLocation(txa.at(12))} (unique document number) is empty: the document is keyed on this message and later edits cannot reach it`, 'missing-field');
  const id = number ? ctx.ids('DocumentReference', number.system ?? '', number.value) : ctx.ids('DocumentReference', 'message', header.controlId);
  const obxs = segments.filter((s) => s.name === 'OBX');
  return [patient.resource, mapDocumentReference(ctx, txa, obxs, { id, event: header.event, subject: patient.reference, encounter })];
}

/** VXU^V04: one Immunization per RXA, keyed on the ORC before it (filler, else placer order
 * number) or, without one, on the message and the RXA's position. RXR follows its RXA. */
function mapVaccinations(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined): FhirResource[] {
  const { patient, encounter } = patientPart(ctx, header, segments, patientKeySystem);
  const administrations: Array<{ rxa: V2Segment; rxr?: V2Segment; orc?: V2Segment }> = [];
  let orc: V2Segment | undefined;
  for (const segment of segments) {
    if (segment.name === 'ORC') orc = segment;
    else if (segment.name === 'RXA') administrations.push({ rxa: segment, orc });
    else if (segment.name === 'RXR' && administrations.length > 0 && !administrations.at(-1)!.rxr) administrations.at(-1)!.rxr = segment;
  }
  if (administrations.length === 0) throw new Hl7MappingError('missing-segment', `${header.messageType} has no RXA segment`, { segment: 'RXA' });
  const immunizations = administrations.map(({ rxa, rxr, orc: order }) => {
    const ids = order ? orderRequestIdentifiers(ctx, { orc: order }) : {};
    const key = ids.filler ? ['filler', ids.filler.system ?? '', ids.filler.value] : ids.placer ? ['placer', ids.placer.system ?? '', ids.placer.value] : ['message', header.controlId, String(rxa.sequence)];
    return mapImmunization(ctx, rxa, rxr, { id: ctx.ids('Immunization', ...key), patient: patient.reference, encounter });
  });
  return [patient.resource, ...immunizations];
}

interface OrderGroup {
  obr: V2Segment;
  orc?: V2Segment;
  patient: string;
  encounter?: Record<string, unknown>;
  notes: string[];
  results: Array<{ obx: V2Segment; notes: string[] }>;
}

/** Walks ORU^R01's groups (PATIENT_RESULT > ORDER_OBSERVATION > OBSERVATION) in segment order;
 * NTE segments annotate the OBR or OBX they follow. */
function mapOru(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined): FhirResource[] {
  const patients: FhirResource[] = [];
  const orders: OrderGroup[] = [];
  let patient: { reference: string; pid: V2Segment; encounter?: Record<string, unknown> } | undefined;
  let orc: V2Segment | undefined;
  let notes: string[] | undefined;

  for (const segment of segments) {
    switch (segment.name) {
      case 'PID': {
        const mapped = mapPatient(ctx, segment, patientKeySystem);
        patients.push(mapped.resource);
        patient = { reference: mapped.reference, pid: segment };
        notes = undefined;
        break;
      }
      case 'PV1': {
        if (!patient) break;
        // A logical reference: the lab's PV1 is usually too sparse to restate the encounter the
        // ADT feed owns, and a literal reference could point at one that was never admitted here.
        const visit = visitIdentifier(ctx, segment, patient.pid);
        patient.encounter = visit && { identifier: visit };
        break;
      }
      case 'ORC':
        orc = segment;
        break;
      case 'OBR': {
        if (!patient) throw new Hl7MappingError('missing-segment', `${header.messageType} has an OBR before any PID`, { segment: 'PID' });
        const group: OrderGroup = { obr: segment, orc, patient: patient.reference, encounter: patient.encounter, notes: [], results: [] };
        orders.push(group);
        orc = undefined;
        notes = group.notes;
        break;
      }
      case 'OBX': {
        const group = orders.at(-1);
        if (!group) throw new Hl7MappingError('missing-segment', `${describeLocation(segment.at(1))} comes before any OBR: it belongs to no order`, { segment: 'OBX', sequence: segment.sequence });
        const result = { obx: segment, notes: [] as string[] };
        group.results.push(result);
        notes = result.notes;
        break;
      }
      case 'NTE': {
        const text = segment.repetitions(3).map((c) => c.wholeText()).join('\n').trim();
        if (notes && text) notes.push(text);
        break;
      }
      default:
        break;
    }
  }
  if (patients.length === 0) throw new Hl7MappingError('missing-segment', `${header.messageType} has no PID segment`, { segment: 'PID' });
  if (orders.length === 0) throw new Hl7MappingError('missing-segment', `${header.messageType} has no OBR segment`, { segment: 'OBR' });

  const resources: FhirResource[] = [...patients];
  for (const group of orders) {
    const orderIds = orderIdentifiers(ctx, group.obr, group.orc);
    const key = reportKey(orderIds, header.controlId, group.obr);
    const effectiveFallback = optionalField(ctx, () => readDateTime(ctx, group.obr, 7));
    const seen = new Set<string>();
    const references: string[] = [];
    group.results.forEach(({ obx, notes: obxNotes }, index) => {
      const setId = obx.value(1) || String(index + 1);
      if (seen.has(setId)) {
        throw new Hl7MappingError('duplicate-key', `${describeLocation(obx.at(1))} set id ${setId} repeats within its OBR`, obx.at(1));
      }
      seen.add(setId);
      const id = ctx.ids('Observation', ...key, setId);
      resources.push(mapObservation(ctx, obx, { id, subject: group.patient, encounter: group.encounter, effectiveFallback, notes: obxNotes }));
      references.push(`Observation/${id}`);
    });
    resources.push(
      mapDiagnosticReport(ctx, group.obr, {
        id: ctx.ids('DiagnosticReport', ...key),
        orders: orderIds,
        subject: group.patient,
        encounter: group.encounter,
        results: references,
        notes: group.notes,
      }),
    );
  }
  return resources;
}

/** One resource per Type/id: a message naming the same patient twice yields one Patient. */
function uniqueById(resources: FhirResource[]): FhirResource[] {
  const seen = new Set<string>();
  return resources.filter((r) => {
    const key = `${r.resourceType}/${r.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/** Validates the options once (key length, time zone) and returns the mapping function. */
export function createHl7Mapper(options: Hl7MappingOptions): Hl7Mapper {
  const identifierSystem = identifierSystemResolver(options.identifierSystems);
  const base = {
    ids: resourceIdDeriver(options.idKey),
    codeSystem: codeSystemResolver(options.codeSystems),
    identifierSystem,
    zoneOffset: zoneOffsetResolver(options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone),
  };
  const authority = options.patientIdAuthority;
  const patientKeySystem = !authority
    ? undefined
    : authority.includes(':')
      ? authority
      : identifierSystem(OID.test(authority) ? { namespace: '', universalId: authority, universalIdType: 'ISO' } : { namespace: authority, universalId: '', universalIdType: '' });

  const byMessageCode: Record<string, typeof mapAdt> = { ADT: mapAdt, ORU: mapOru, ORM: mapOrders, OML: mapOrders, SIU: mapScheduling, MDM: mapDocument, VXU: mapVaccinations };
  return (message) => {
    const ctx: MappingContext = { ...base, warnings: [] };
    const segments = readSegments(message.segments.filter((s) => s.name !== ''));
    const header = readHeader(segments);
    const resources = byMessageCode[header.messageType.split('^')[0]](ctx, header, segments, patientKeySystem);
    return { messageType: header.messageType, controlId: header.controlId, resources: uniqueById(resources), warnings: ctx.warnings };
  };
}
