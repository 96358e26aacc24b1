// PID -> Patient (v2-to-FHIR IG segment map PID[Patient]).

import type { FhirResource } from '../../gateway/store/service.js';
import { V2_TABLE } from './code-systems.js';
import { cweToCodeableConcept, cxToIdentifier, type Identifier, xadToAddress, xpnToHumanName, xtnToContactPoint } from './datatypes.js';
import { optionalField, readDate, readDateTime, readV2DateTime, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation, type Hl7ErrorLocation } from './mapping-error.js';
import type { V2Segment } from './v2-segment.js';
import { formatFhirDateTime } from './v2-datetime.js';

/** v2 table 0001 -> administrative-gender (IG ConceptMap; X, non-binary since v2.9, -> other). */
const GENDER: Record<string, string> = { M: 'male', F: 'female', O: 'other', U: 'unknown', A: 'other', N: 'other', X: 'other' };

/** v2 table 0002 -> v3 MaritalStatus (or v3 NullFlavor), added beside the v2 coding. */
const MARITAL_V3: Record<string, { system: string; code: string }> = {
  A: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'L' },
  E: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'L' },
  D: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'D' },
  M: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' },
  S: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'S' },
  W: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'W' },
  C: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'C' },
  P: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'T' },
  R: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'T' },
  N: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'A' },
  I: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'I' },
  B: { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'U' },
  U: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK' },
  T: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK' },
  O: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'OTH' },
};

const BIRTH_TIME = 'http://hl7.org/fhir/StructureDefinition/patient-birthTime';

export interface MappedPatient {
  resource: FhirResource;
  reference: string;
}

/**
 * The identifier that keys the Patient id: the repetition from `keyAuthority` when one is
 * configured (a hospital's MPI), else the first one typed MR, else the first one. Keying on the
 * resolved system, not the raw authority text, lets a site declare two spellings one authority.
 * `field` is where the identifiers came from (PID-3, or MRG-1 for a merged-away record).
 */
function keyIdentifier(field: Hl7ErrorLocation, identifiers: Identifier[], keyAuthoritySystem: string | undefined): Identifier {
  if (keyAuthoritySystem) {
    const match = identifiers.find((i) => i.system === keyAuthoritySystem);
    if (!match) {
      throw new Hl7MappingError('missing-field', `${describeLocation(field)} has no identifier from the configured patient id authority (${keyAuthoritySystem})`, field);
    }
    return match;
  }
  return identifiers.find((i) => i.type?.coding?.[0]?.code === 'MR') ?? identifiers[0];
}

/** The identifiers of a CX list field and the Patient id they key. */
export function patientIdentity(ctx: MappingContext, segment: V2Segment, field: number, keyAuthoritySystem: string | undefined): { identifier: Identifier[]; id: string } {
  const identifier = segment
    .repetitions(field)
    .map((cx) => cxToIdentifier(ctx, cx))
    .filter((i): i is Identifier => i !== undefined);
  const location = segment.at(field);
  if (identifier.length === 0) {
    throw new Hl7MappingError('missing-field', `${describeLocation(location)} (patient identifier list) has no identifier: the patient cannot be identified`, location);
  }
  const key = keyIdentifier(location, identifier, keyAuthoritySystem);
  return { identifier, id: ctx.ids('Patient', key.system ?? '', key.value) };
}

function genderOf(pid: V2Segment): string | undefined {
  const code = pid.value(8);
  if (!code) return undefined;
  const gender = GENDER[code.toUpperCase()];
  if (!gender) {
    throw new Hl7MappingError('bad-value', `PID-8 '${code}' is not an administrative sex code (HL7 table 0001: M, F, O, U, A, N, X); gender left out`, pid.at(8));
  }
  return gender;
}

/** PID-30 is a table 0136 flag; anything else (a sender's `NO`, `YES`) is not guessed at. */
function deceasedFlagOf(pid: V2Segment): boolean | undefined {
  const flag = pid.value(30).toUpperCase();
  if (!flag) return undefined;
  if (flag === 'Y' || flag === 'N') return flag === 'Y';
  throw new Hl7MappingError('bad-value', `${describeLocation(pid.at(30))} '${flag}' is not Y or N (HL7 table 0136); deceased left out`, pid.at(30));
}

export function mapPatient(ctx: MappingContext, pid: V2Segment, keyAuthoritySystem: string | undefined): MappedPatient {
  const { identifier, id } = patientIdentity(ctx, pid, 3, keyAuthoritySystem);

  const patient: FhirResource = { resourceType: 'Patient', id, identifier };

  const name = pid.repetitions(5).map(xpnToHumanName).filter((n) => n !== undefined);
  if (name.length > 0) patient.name = name;

  const telecom = [
    ...pid.repetitions(13).map((xtn) => xtnToContactPoint(xtn, 'home')),
    ...pid.repetitions(14).map((xtn) => xtnToContactPoint(xtn, 'work')),
  ].filter((t) => t !== undefined);
  if (telecom.length > 0) patient.telecom = telecom;

  const gender = optionalField(ctx, () => genderOf(pid));
  if (gender) patient.gender = gender;

  const birth = optionalField(ctx, () => ({ date: readDate(pid, 7), time: readV2DateTime(pid, 7) }));
  if (birth?.date) {
    patient.birthDate = birth.date;
    if (birth.time?.hour !== undefined) {
      patient._birthDate = { extension: [{ url: BIRTH_TIME, valueDateTime: formatFhirDateTime(birth.time, ctx.zoneOffset) }] };
    }
  }

  const deceasedAt = optionalField(ctx, () => readDateTime(ctx, pid, 29));
  const deceasedFlag = optionalField(ctx, () => deceasedFlagOf(pid));
  if (deceasedAt) patient.deceasedDateTime = deceasedAt;
  else if (deceasedFlag !== undefined) patient.deceasedBoolean = deceasedFlag;

  const address = pid.repetitions(11).map(xadToAddress).filter((a) => a !== undefined);
  if (address.length > 0) patient.address = address;

  const marital = cweToCodeableConcept(ctx, pid.first(16), V2_TABLE('0002'));
  if (marital) {
    const v3 = MARITAL_V3[pid.value(16).toUpperCase()];
    if (v3 && marital.coding?.[0]?.system === V2_TABLE('0002')) marital.coding.push(v3);
    patient.maritalStatus = marital;
  }

  return { resource: patient, reference: `Patient/${id}` };
}
