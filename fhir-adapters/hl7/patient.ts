// PID -> Patient (v2-to-FHIR IG segment map PID[Patient]).

import type { FhirResource } from '../../gateway/store/service.js';
import { V2_TABLE } from './code-systems.js';
import { cweToCodeableConcept, cxToIdentifier, type Identifier, xadToAddress, xpnToHumanName, xtnToContactPoint } from './datatypes.js';
import { readDate, readDateTime, readV2DateTime, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
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
 * The identifier that keys the Patient id: the PID-3 repetition from `keyAuthority` when one is
 * configured (a hospital's MPI), else the first one typed MR, else the first one. Keying on the
 * resolved system, not the raw authority text, lets a site declare two spellings one authority.
 */
function keyIdentifier(pid: V2Segment, identifiers: Identifier[], keyAuthoritySystem: string | undefined): Identifier {
  if (keyAuthoritySystem) {
    const match = identifiers.find((i) => i.system === keyAuthoritySystem);
    if (!match) {
      throw new Hl7MappingError('missing-field', `PID-3 has no identifier from the configured patient id authority (${keyAuthoritySystem})`, pid.at(3));
    }
    return match;
  }
  return identifiers.find((i) => i.type?.coding?.[0]?.code === 'MR') ?? identifiers[0];
}

export function mapPatient(ctx: MappingContext, pid: V2Segment, keyAuthoritySystem: string | undefined): MappedPatient {
  const identifier = pid
    .repetitions(3)
    .map((cx) => cxToIdentifier(ctx, cx))
    .filter((i): i is Identifier => i !== undefined);
  if (identifier.length === 0) {
    throw new Hl7MappingError('missing-field', 'PID-3 (patient identifier list) has no identifier: the patient cannot be identified', pid.at(3));
  }
  const key = keyIdentifier(pid, identifier, keyAuthoritySystem);
  const id = ctx.ids('Patient', key.system ?? '', key.value);

  const patient: FhirResource = { resourceType: 'Patient', id, identifier };

  const name = pid.repetitions(5).map(xpnToHumanName).filter((n) => n !== undefined);
  if (name.length > 0) patient.name = name;

  const telecom = [
    ...pid.repetitions(13).map((xtn) => xtnToContactPoint(xtn, 'home')),
    ...pid.repetitions(14).map((xtn) => xtnToContactPoint(xtn, 'work')),
  ].filter((t) => t !== undefined);
  if (telecom.length > 0) patient.telecom = telecom;

  const genderCode = pid.value(8);
  if (genderCode) {
    const gender = GENDER[genderCode.toUpperCase()];
    if (!gender) {
      throw new Hl7MappingError('bad-value', `PID-8 '${genderCode}' is not an administrative sex code (HL7 table 0001: M, F, O, U, A, N, X)`, pid.at(8));
    }
    patient.gender = gender;
  }

  const birthDate = readDate(pid, 7);
  if (birthDate) {
    patient.birthDate = birthDate;
    const birth = readV2DateTime(pid, 7);
    if (birth?.hour !== undefined) {
      patient._birthDate = { extension: [{ url: BIRTH_TIME, valueDateTime: formatFhirDateTime(birth, ctx.zoneOffset) }] };
    }
  }

  const deceasedAt = readDateTime(ctx, pid, 29);
  const deceasedFlag = pid.value(30).toUpperCase();
  if (deceasedAt) patient.deceasedDateTime = deceasedAt;
  else if (deceasedFlag === 'Y' || deceasedFlag === 'N') patient.deceasedBoolean = deceasedFlag === 'Y';
  else if (deceasedFlag) {
    throw new Hl7MappingError('bad-value', `${describeLocation(pid.at(30))} '${deceasedFlag}' is not Y or N`, pid.at(30));
  }

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
