// HL7 v2 message -> the R5 resources it describes. Pure: the same message and options always
// give the same resources (ids included), which is what makes redelivery a no-op downstream.
//
//   ADT^A01 / ADT^A04 / ADT^A08   PID -> Patient, PV1 -> Encounter (optional on A08)
//   ORU^R01                       PID -> Patient, OBR -> DiagnosticReport, OBX -> Observation

import type { Hl7Message } from '@medplum/core';
import type { FhirResource } from '../../gateway/store/service.js';
import { codeSystemResolver } from './code-systems.js';
import { mapDiagnosticReport, orderIdentifiers, reportKey } from './diagnostic-report.js';
import { mapEncounter, visitIdentifier } from './encounter.js';
import { identifierSystemResolver, readDateTime, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
import { mapObservation } from './observation.js';
import { mapPatient } from './patient.js';
import { resourceIdDeriver } from './resource-ids.js';
import { readSegments, type V2Segment } from './v2-segment.js';
import { zoneOffsetResolver } from './v2-datetime.js';

const SUPPORTED_MESSAGE_TYPES = ['ADT^A01', 'ADT^A04', 'ADT^A08', 'ORU^R01'] as const;
export type SupportedMessageType = (typeof SUPPORTED_MESSAGE_TYPES)[number];

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
  /** In dependency order: Patient, Encounter, Observations, DiagnosticReport. */
  resources: FhirResource[];
}

export type Hl7Mapper = (message: Hl7Message) => MappedHl7Message;

interface Header {
  msh: V2Segment;
  messageType: SupportedMessageType;
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
  if (!(SUPPORTED_MESSAGE_TYPES as readonly string[]).includes(messageType)) {
    throw new Hl7MappingError('unsupported-message-type', `message type ${messageType} is not supported (${SUPPORTED_MESSAGE_TYPES.join(', ')} are)`, msh.at(9));
  }
  return { msh, messageType: messageType as SupportedMessageType, controlId };
}

function required(segments: V2Segment[], name: string, messageType: string): V2Segment {
  const found = segments.find((s) => s.name === name);
  if (!found) throw new Hl7MappingError('missing-segment', `${messageType} has no ${name} segment`, { segment: name });
  return found;
}

function mapAdt(ctx: MappingContext, header: Header, segments: V2Segment[], patientKeySystem: string | undefined): FhirResource[] {
  const pid = required(segments, 'PID', header.messageType);
  const patient = mapPatient(ctx, pid, patientKeySystem);
  const pv1 = segments.find((s) => s.name === 'PV1');
  if (!pv1) {
    if (header.messageType === 'ADT^A08') return [patient.resource];
    throw new Hl7MappingError('missing-segment', `${header.messageType} has no PV1 segment`, { segment: 'PV1' });
  }
  const visit = visitIdentifier(ctx, pv1, pid);
  if (!visit) {
    // An A08 is a patient update; a visit it cannot name is left alone rather than invented.
    if (header.messageType === 'ADT^A08') return [patient.resource];
    throw new Hl7MappingError('missing-field', `${describeLocation(pv1.at(19))} (visit number) and PID-18 (account number) are both empty: the encounter cannot be identified`, pv1.at(19));
  }
  return [patient.resource, mapEncounter(ctx, pv1, visit, patient.reference, header.msh)];
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
        if (!group) throw new Hl7MappingError('missing-segment', `${describeLocation(segment.at(1))} comes before any OBR`, { segment: 'OBR' });
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
    const effectiveFallback = readDateTime(ctx, group.obr, 7);
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
  const ctx: MappingContext = {
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

  return (message) => {
    const segments = readSegments(message.segments.filter((s) => s.name !== ''));
    const header = readHeader(segments);
    const resources =
      header.messageType === 'ORU^R01'
        ? mapOru(ctx, header, segments, patientKeySystem)
        : mapAdt(ctx, header, segments, patientKeySystem);
    return { messageType: header.messageType, controlId: header.controlId, resources: uniqueById(resources) };
  };
}
