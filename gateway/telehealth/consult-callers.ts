// Who is calling a /telehealth route, from the bearer credential:
//   - `clp_...`: a patient access token of this node (the host is the patient's home hospital);
//   - a patient session from the patient's home node (patient-assertion.ts);
//   - a member JWT: another member's practitioner (member-authenticator.ts: signer on chain,
//     single use), whose member must be an active hospital;
//   - anything else: the host's staff, through SMART with the scope the route needs.
// Failures are 401 OperationOutcomes saying what credential to get.

import { OperationOutcomeError, forbidden, unauthorized } from '@medplum/core';
import type { FastifyRequest } from 'fastify';
import type { FhirInteraction } from '../auth/access-decision.js';
import { requireFhirAccess } from '../auth/fhir-access.js';
import type { MemberAuthenticator } from '../consent/member-authenticator.js';
import { isMemberJwt } from '../consent/member-jwt.js';
import { PATIENT_TOKEN_PREFIX } from '../consent/patient-sessions.js';
import { MemberRole, type Hex } from '../ledger/ports.js';
import { isPatientAssertion, type PatientAssertionVerifier } from './patient-assertion.js';
import type { Caller } from './session-service.js';

/** A patient of this node by their access token: their address, or null when the token is unknown or expired. */
export type LocalPatients = (token: string) => Promise<{ patientId: string; address: Hex | null } | null>;

export interface ConsultCallersOptions {
  self: Hex;
  localPatients: LocalPatients;
  assertions: PatientAssertionVerifier;
  members: Pick<MemberAuthenticator, 'authenticate'>;
}

const BEARER = /^Bearer +(\S+) *$/i;

export class ConsultCallers {
  constructor(private readonly options: ConsultCallersOptions) {}

  /** The caller; staff must hold `scope` (a resource type and interaction) at this node. */
  async callerOf(request: FastifyRequest, scope: { type: string; interaction: FhirInteraction }): Promise<Caller> {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token?.startsWith(PATIENT_TOKEN_PREFIX)) {
      const patient = await this.options.localPatients(token);
      if (!patient) throw unauthenticated('The patient access token is unknown or expired; ask the hospital for a new one');
      if (!patient.address) throw refused('The patient has no address on the ledger yet: they grant a consent first, which creates it');
      return { kind: 'patient', address: patient.address, homeMember: this.options.self };
    }
    if (token && isPatientAssertion(token)) {
      const checked = await this.options.assertions.verify(token);
      if (!checked.ok) throw unauthenticated(`Patient session refused: ${checked.detail}`);
      return { kind: 'patient', address: checked.patientAddress, homeMember: checked.homeMember };
    }
    if (token && isMemberJwt(token)) {
      const principal = await this.options.members.authenticate(request.headers.authorization);
      if ((principal.roles & MemberRole.HOSPITAL) === 0) throw refused('Only hospital members\' practitioners take part in consults');
      return { kind: 'practitioner', member: principal.memberId, orgId: principal.orgId, practitionerId: principal.practitionerId, practitionerHash: principal.practitionerHash };
    }
    const staff = requireFhirAccess(request, scope.type, scope.interaction);
    return { kind: 'staff', clientId: staff.clientId };
  }
}

function unauthenticated(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...unauthorized, issue: [{ severity: 'error', code: 'login', details: { text } }] });
}

function refused(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
}
