// JSON schemas of every /telehealth workflow route: request params, query and body, and each
// response status. Declared once: fastify validates and serializes with them, and the OpenAPI
// document (telehealth-openapi.ts) is generated from them.

import { CONSULT_STATES } from './consult-states.js';

const ADDRESS = '^0x[0-9a-fA-F]{40}$';
const BYTES32 = '^0x[0-9a-fA-F]{64}$';
const FHIR_ID = '^[A-Za-z0-9\\-.]{1,64}$';
const SESSION_ID = '^[A-Za-z0-9_-]{16,128}$';
const ROLES = ['patient', 'provider', 'specialist', 'second-opinion', 'observer'];

export const outcomeSchema = {
  type: 'object',
  description: 'A FHIR OperationOutcome saying what went wrong and what to do next',
  required: ['resourceType', 'issue'],
  properties: { resourceType: { type: 'string', const: 'OperationOutcome' }, issue: { type: 'array', items: { type: 'object', additionalProperties: true } } },
  additionalProperties: true,
} as const;

const fhirResource = { type: 'object', required: ['resourceType', 'id'], properties: { resourceType: { type: 'string' }, id: { type: 'string' } }, additionalProperties: true } as const;

const errors = { 400: outcomeSchema, 401: outcomeSchema, 403: outcomeSchema, 404: outcomeSchema, 409: outcomeSchema } as const;

export const sessionParams = { type: 'object', required: ['sessionId'], properties: { sessionId: { type: 'string', pattern: SESSION_ID } } } as const;
const participantParams = {
  type: 'object',
  required: ['sessionId', 'participantId'],
  properties: { sessionId: { type: 'string', pattern: SESSION_ID }, participantId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } },
} as const;

export const sessionViewSchema = {
  type: 'object',
  required: ['sessionId', 'state', 'appointment', 'encounter', 'slot', 'practitioner', 'patient', 'homeMember', 'next', 'participants', 'chain'],
  properties: {
    sessionId: { type: 'string', description: 'Opaque session id: Appointment/Encounter.virtualService.sessionKey' },
    state: { type: 'string', enum: [...CONSULT_STATES] },
    appointment: { type: 'string' },
    encounter: { type: 'string' },
    slot: { type: 'string' },
    practitioner: { type: 'string' },
    patient: { type: 'string', description: 'The patient\'s pseudonymous address' },
    homeMember: { type: 'string' },
    consentGrantId: { type: ['string', 'null'] },
    endReason: { type: ['string', 'null'] },
    next: { type: 'array', items: { type: 'string' }, description: 'Actions open from this state' },
    participants: {
      type: 'array',
      items: {
        type: 'object',
        required: ['participantId', 'role', 'member', 'status'],
        properties: { participantId: { type: 'string' }, role: { type: 'string', enum: ROLES }, member: { type: 'string' }, status: { type: 'string' } },
      },
    },
    chain: {
      type: 'array',
      description: 'The session\'s TelehealthRegistry writes: pending, sent, rejected or skipped',
      items: {
        type: 'object',
        required: ['kind', 'status'],
        properties: { kind: { type: 'string' }, status: { type: 'string' }, txHash: { type: 'string' }, reason: { type: 'string' } },
      },
    },
  },
} as const;

const iceSchema = {
  type: 'object',
  required: ['iceServers', 'iceTransportPolicy', 'expiresAt'],
  properties: {
    iceServers: {
      type: 'array',
      items: { type: 'object', properties: { urls: { type: 'array', items: { type: 'string' } }, username: { type: 'string' }, credential: { type: 'string' } } },
    },
    iceTransportPolicy: { type: 'string', enum: ['all', 'relay'] },
    expiresAt: { type: ['integer', 'null'] },
  },
} as const;

export const TELEHEALTH_SCHEMAS = {
  createSchedule: {
    summary: 'Create a telehealth Schedule for one of the host\'s practitioners (staff)',
    body: {
      type: 'object',
      required: ['practitioner'],
      additionalProperties: false,
      properties: { practitioner: { type: 'string', pattern: FHIR_ID }, comment: { type: 'string', maxLength: 1000 } },
    },
    response: { 201: fhirResource, ...errors },
  },
  createSlot: {
    summary: 'Open a free Slot in a Schedule (staff)',
    params: { type: 'object', required: ['scheduleId'], properties: { scheduleId: { type: 'string', pattern: FHIR_ID } } },
    body: {
      type: 'object',
      required: ['start', 'end'],
      additionalProperties: false,
      properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } },
    },
    response: { 201: fhirResource, ...errors },
  },
  listSlots: {
    summary: 'Free slots (any caller who may book: staff or a patient)',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { schedule: { type: 'string', pattern: FHIR_ID }, count: { type: 'integer', minimum: 1, maximum: 200 } },
    },
    response: { 200: { type: 'object', required: ['slots'], properties: { slots: { type: 'array', items: fhirResource } } }, ...errors },
  },
  book: {
    summary: 'Book a consult in a free slot: holds it, confirms it, creates the Appointment and Encounter (staff or the patient)',
    body: {
      type: 'object',
      required: ['slot'],
      additionalProperties: false,
      properties: {
        slot: { type: 'string', pattern: FHIR_ID },
        patient: { type: 'string', pattern: ADDRESS, description: 'Staff only: the patient\'s pseudonymous address' },
        homeMember: { type: 'string', minLength: 1, maxLength: 128, description: 'Staff only: the patient\'s home member (org id or bytes32 member id)' },
        reason: { type: 'string', maxLength: 2000 },
      },
    },
    response: { 201: sessionViewSchema, ...errors },
  },
  listSessions: {
    summary: 'Consults at this host: all for staff, their own for a patient',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { state: { type: 'string', enum: [...CONSULT_STATES] }, limit: { type: 'integer', minimum: 1, maximum: 200 } },
    },
    response: { 200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: sessionViewSchema } } }, ...errors },
  },
  showSession: {
    summary: 'One consult, for its participants and the host\'s staff',
    params: sessionParams,
    response: { 200: sessionViewSchema, ...errors },
  },
  action: {
    summary: 'Move the consult: check-in (needs the consent on the ledger), arrive (waiting room), start, wrap-up, complete, cancel, no-show',
    params: sessionParams,
    response: { 200: sessionViewSchema, ...errors },
  },
  admit: {
    summary: 'Admit the waiting patient (staff, for the provider, whose licence key is checked on the ledger)',
    params: sessionParams,
    body: {
      type: 'object',
      required: ['licenceSubject'],
      additionalProperties: false,
      properties: { licenceSubject: { type: 'string', pattern: ADDRESS, description: 'The provider\'s licence key (credential subject)' } },
    },
    response: { 200: sessionViewSchema, ...errors },
  },
  invite: {
    summary: 'Invite a specialist, a second opinion or an observer from a member hospital (staff)',
    params: sessionParams,
    body: {
      type: 'object',
      required: ['member', 'practitioner', 'role'],
      additionalProperties: false,
      properties: {
        member: { type: 'string', minLength: 1, maxLength: 128, description: 'Org id or bytes32 member id of the invited practitioner\'s hospital' },
        practitioner: { type: 'string', minLength: 1, maxLength: 128, description: 'The practitioner\'s id at their member (the `sub` of their member JWTs)' },
        role: { type: 'string', enum: ['specialist', 'second-opinion', 'observer'] },
        licenceSubject: { type: 'string', pattern: ADDRESS, description: 'Clinical roles: the practitioner\'s licence key' },
      },
    },
    response: {
      201: { type: 'object', required: ['participantId', 'session'], properties: { participantId: { type: 'string' }, session: sessionViewSchema } },
      ...errors,
    },
  },
  withdraw: {
    summary: 'Withdraw an invitation (staff): the practitioner is disconnected and cannot join again',
    params: participantParams,
    response: { 200: sessionViewSchema, ...errors },
  },
  escalate: {
    summary: 'Escalate to emergency care (staff): severity 1-5, the reason stays here, its salted hash goes on chain',
    params: sessionParams,
    body: {
      type: 'object',
      required: ['severity', 'reason'],
      additionalProperties: false,
      properties: { severity: { type: 'integer', minimum: 1, maximum: 5 }, reason: { type: 'string', minLength: 1, maxLength: 2000 } },
    },
    response: {
      201: { type: 'object', required: ['reasonHash', 'session'], properties: { reasonHash: { type: 'string', pattern: BYTES32 }, session: sessionViewSchema } },
      ...errors,
    },
  },
  joinChallenge: {
    summary: 'A one-time challenge a clinical participant signs (EIP-191) with their licence key before joining',
    params: sessionParams,
    response: {
      200: {
        type: 'object',
        required: ['nonce', 'message', 'expiresAt', 'subject'],
        properties: { nonce: { type: 'string' }, message: { type: 'string' }, expiresAt: { type: 'integer' }, subject: { type: 'string' } },
      },
      ...errors,
    },
  },
  join: {
    summary: 'A single-use join token (signaling), TURN credentials and a notification token, after live checks',
    params: sessionParams,
    body: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        holderProof: {
          type: 'object',
          required: ['nonce', 'signature'],
          additionalProperties: false,
          properties: { nonce: { type: 'string', maxLength: 128 }, signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$' } },
        },
      },
    },
    response: {
      200: {
        type: 'object',
        required: ['participantId', 'role', 'permissions', 'token', 'expiresAt', 'signalPath', 'notificationToken', 'eventsPath', 'ice'],
        properties: {
          participantId: { type: 'string' },
          role: { type: 'string', enum: ROLES },
          permissions: { type: 'object', properties: { publish: { type: 'boolean' }, chat: { type: 'boolean' } } },
          token: { type: 'string' },
          expiresAt: { type: 'integer' },
          signalPath: { type: 'string' },
          notificationToken: { type: 'string' },
          eventsPath: { type: 'string' },
          ice: iceSchema,
        },
      },
      ...errors,
    },
  },
  notificationToken: {
    summary: 'A notification token for the participant\'s event stream (also before admission: the waiting room)',
    params: sessionParams,
    response: {
      200: {
        type: 'object',
        required: ['participantId', 'role', 'notificationToken', 'expiresAt', 'eventsPath'],
        properties: { participantId: { type: 'string' }, role: { type: 'string' }, notificationToken: { type: 'string' }, expiresAt: { type: 'integer' }, eventsPath: { type: 'string' } },
      },
      ...errors,
    },
  },
  visitNote: {
    summary: 'Write the visit note (staff): anchored here and delivered to the patient\'s home hospital under the same consent',
    params: sessionParams,
    body: {
      type: 'object',
      required: ['text'],
      additionalProperties: false,
      properties: { text: { type: 'string', minLength: 1, maxLength: 100_000 }, contentType: { type: 'string', enum: ['text/plain', 'text/markdown'] } },
    },
    response: {
      201: { type: 'object', required: ['documentReference', 'delivery'], properties: { documentReference: { type: 'string' }, delivery: { type: 'object', additionalProperties: true } } },
      ...errors,
    },
  },
  patientSessions: {
    summary: 'A patient\'s consults at this host with their AuditEvents and receipts (the home node asks it for the patient view; the patient session from the home node)',
    response: {
      200: {
        type: 'object',
        required: ['sessions'],
        properties: {
          sessions: {
            type: 'array',
            description: 'Newest first; only those booked through the home member that issued the patient session',
            items: {
              type: 'object',
              required: ['sessionKey', 'state', 'encounter', 'appointment', 'createdAt', 'updatedAt', 'events'],
              properties: {
                sessionKey: { type: 'string' },
                state: { type: 'string', enum: [...CONSULT_STATES] },
                encounter: { type: 'string' },
                appointment: { type: 'string' },
                createdAt: { type: 'string', format: 'date-time' },
                updatedAt: { type: 'string', format: 'date-time' },
                events: {
                  type: 'array',
                  description: 'The session log: anchored AuditEvents in order',
                  items: {
                    type: 'object',
                    required: ['auditEvent', 'code', 'recorded', 'outcome', 'receipt'],
                    properties: {
                      auditEvent: { type: 'string' },
                      code: { type: 'string' },
                      recorded: { type: 'string' },
                      outcome: { type: 'string' },
                      receipt: {
                        type: 'object',
                        required: ['url', 'status'],
                        properties: {
                          url: { type: 'string' },
                          status: { type: 'string', enum: ['anchored', 'pending', 'erased'] },
                          receipt: { type: 'object', additionalProperties: true, description: 'The receipt, once anchored' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      ...errors,
    },
  },
  patientAssertion: {
    summary: 'Home side: a patient session for a consult at another member (the patient\'s access token)',
    body: {
      type: 'object',
      required: ['audience'],
      additionalProperties: false,
      properties: {
        audience: { type: 'string', minLength: 1, maxLength: 2048, description: 'The host node\'s public URL' },
        lifetimeSeconds: { type: 'integer', minimum: 30, maximum: 600 },
      },
    },
    response: {
      200: {
        type: 'object',
        required: ['token', 'token_type', 'expires_in', 'patient'],
        properties: { token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' }, patient: { type: 'string' } },
      },
      ...errors,
    },
  },
} as const;
