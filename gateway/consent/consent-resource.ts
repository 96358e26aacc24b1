// The R5 Consent that documents a grant inside the hospital: the clear scope, the grantee, the
// window, the purposes and the patient's signed EIP-712 message as an attachment. Base decision
// is deny; each data category is one permit provision (R5 provisions are exceptions to the base).
// It lives in the patient's compartment and is anchored like any resource.

import type { Hex } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';
import { CONSENT_ACTION_SYSTEM, parseCategory } from './consent-scope.js';
import { MEMBER_SYSTEM } from './audit-event.js';
import { PURPOSE_DISPLAY, PURPOSE_OF_USE_SYSTEM, purposeCodes } from './purpose-of-use.js';
import { type ConsentDomain, type ConsentMessage, typedDataRequest } from './typed-data.js';

const GRANT_ID_SYSTEM = 'urn:careledger:consent-grant';

export interface ConsentResourceInput {
  patientId: string;
  grantId: Hex;
  domain: ConsentDomain;
  message: ConsentMessage;
  signature: Hex;
  grantee: { memberId: Hex; orgId?: string; practitionerId?: string };
  custody: 'custodial' | 'wallet';
  recorded: Date;
}

export function consentResource(input: ConsentResourceInput): FhirResource {
  const { message } = input;
  const period = { start: isoSeconds(message.notBefore), end: isoSeconds(message.notAfter) };
  const patient = { reference: `Patient/${input.patientId}` };
  const memberActor = {
    role: codeable('http://terminology.hl7.org/CodeSystem/v3-ParticipationType', 'IRCP', 'information recipient'),
    reference: { identifier: { system: MEMBER_SYSTEM, value: input.grantee.memberId as string }, ...(input.grantee.orgId ? { display: input.grantee.orgId } : {}) },
  };
  const actors: Array<typeof memberActor> = [memberActor];
  if (input.grantee.practitionerId) {
    actors.push({
      ...memberActor,
      reference: { identifier: { system: `${MEMBER_SYSTEM}:${input.grantee.memberId}:practitioner`, value: input.grantee.practitionerId } },
    });
  }
  const purposes = purposeCodes(message.purposes).map((code) => ({ system: PURPOSE_OF_USE_SYSTEM, code, display: PURPOSE_DISPLAY[code] }));
  const actions = message.actions.map((action) => codeable(CONSENT_ACTION_SYSTEM, action));
  const signed = { ...typedDataRequest(input.domain, message), signature: input.signature };

  return {
    resourceType: 'Consent',
    identifier: [{ system: GRANT_ID_SYSTEM, value: input.grantId }],
    status: 'active',
    category: [codeable('http://loinc.org', '59284-0', 'Patient Consent')],
    subject: patient,
    date: input.recorded.toISOString().slice(0, 10),
    period,
    grantor: [patient],
    grantee: actors.map((actor) => actor.reference),
    sourceAttachment: [
      {
        contentType: 'application/json',
        title: 'EIP-712 signed consent',
        data: Buffer.from(JSON.stringify(signed), 'utf8').toString('base64'),
      },
    ],
    verification: [
      {
        verified: true,
        verificationType: { text: input.custody === 'wallet' ? 'EIP-712 signature by the patient wallet' : 'EIP-712 signature by the hospital-custodied patient key' },
        verifiedWith: patient,
        verificationDate: [input.recorded.toISOString()],
      },
    ],
    decision: 'deny',
    provision: message.categories.map((category) => {
      const parsed = parseCategory(category);
      return {
        period,
        actor: actors,
        action: actions,
        purpose: purposes,
        resourceType: [{ system: 'http://hl7.org/fhir/fhir-types', code: parsed.resourceType }],
        ...(parsed.code ? { code: [{ coding: [{ code: parsed.code }], text: category }] } : {}),
      };
    }),
  };
}

/** The same Consent after the patient revoked it. */
export function revokedConsent(consent: FhirResource): FhirResource {
  const { meta: _meta, ...rest } = consent;
  return { ...rest, status: 'inactive' };
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function codeable(system: string, code: string, display?: string) {
  return { coding: [{ system, code, ...(display ? { display } : {}) }] };
}
