// The patient API under /consent, as one encapsulated fastify plugin. Who may act for a patient:
//   - the patient, with a patient access token (`Bearer clp_...`) that staff issued for them;
//   - hospital staff, through an EHR client's SMART token with Consent scopes (an explicit staff
//     action, e.g. at the front desk after checking identity).
// A custodial key signs only inside these authenticated calls. A wallet-holding patient gets the
// EIP-712 request from `.../consent-requests` (or `.../revocation-requests`), signs it in the
// wallet and posts the signature. Errors are OperationOutcomes, like the FHIR routes.

import { OperationOutcomeError, forbidden, notFound, unauthorized } from '@medplum/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { errorOutcome } from '../fhir/error-outcome.js';
import { requireFhirAccess } from '../auth/fhir-access.js';
import type { Hex } from '../ledger/ports.js';
import type { AccessLog } from './access-log.js';
import type { ConsentService, GrantRequest } from './consent-service.js';
import type { EmergencyLog } from './emergency-log.js';
import type { ErasureActor, PatientErasure } from './erasure.js';
import type { GrantCache } from './grant-cache.js';
import { MEMBER_JWT_MAX_LIFETIME_SECONDS, signMemberJwt } from './member-jwt.js';
import type { PatientKeys } from './patient-keys.js';
import { PATIENT_TOKEN_PREFIX, type PatientSessions } from './patient-sessions.js';
import { PurposeOfUse, type PurposeCode } from './purpose-of-use.js';

export const CONSENT_PREFIX = '/consent';

export interface PatientRoutesOptions {
  consents: ConsentService;
  keys: PatientKeys;
  sessions: PatientSessions;
  accessLog: AccessLog;
  emergency: EmergencyLog;
  erasure: PatientErasure;
  cache: GrantCache;
  /** This node as a member: its id and signer key mint member JWTs for its own practitioners. */
  self: { memberId: Hex; signerKey: string };
}

type Actor = ErasureActor;

const patientParams = {
  type: 'object',
  required: ['patientId'],
  properties: { patientId: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' } },
} as const;
const grantParams = {
  type: 'object',
  required: ['patientId', 'grantId'],
  properties: { ...patientParams.properties, grantId: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } },
} as const;
const grantBody = {
  type: 'object',
  required: ['grantee', 'actions', 'categories', 'purposes', 'notAfter'],
  additionalProperties: false,
  properties: {
    grantee: {
      type: 'object',
      additionalProperties: false,
      properties: { orgId: { type: 'string' }, memberId: { type: 'string' }, practitioner: { type: 'string', maxLength: 128 } },
    },
    actions: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 64 },
    categories: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 64 },
    purposes: { type: 'array', items: { type: 'string', enum: Object.keys(PurposeOfUse) }, minItems: 1 },
    notBefore: { type: 'integer', minimum: 0 },
    notAfter: { type: 'integer', minimum: 1 },
    nonce: { type: 'string', pattern: '^[0-9]{1,78}$' },
    signature: { type: 'string', pattern: '^0x[0-9a-fA-F]+$' },
  },
} as const;

export function patientRoutes(options: PatientRoutesOptions) {
  const { consents, keys, sessions, accessLog, emergency, erasure, cache } = options;

  /** The patient themselves (their token) or staff with the given Consent interaction. */
  const actorFor = (request: FastifyRequest, patientId: string, interaction: 'read' | 'update'): Actor => {
    const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token?.startsWith(PATIENT_TOKEN_PREFIX)) {
      const owner = sessions.patientOf(token);
      if (owner === null) {
        throw new OperationOutcomeError({
          ...unauthorized,
          issue: [{ severity: 'error', code: 'login', details: { text: 'The patient access token is unknown or expired; ask the hospital for a new one' } }],
        });
      }
      if (owner !== patientId) throw new OperationOutcomeError(forbidden);
      return { kind: 'patient' };
    }
    return { kind: 'staff', clientId: requireFhirAccess(request, 'Consent', interaction).clientId };
  };
  const patientIdOf = (request: FastifyRequest) => (request.params as { patientId: string }).patientId;
  const grantIdOf = (request: FastifyRequest) => (request.params as { grantId: string }).grantId.toLowerCase() as Hex;

  return async function consentRoutes(app: FastifyInstance): Promise<void> {
    app.setErrorHandler((error, request, reply) => {
      const mapped = errorOutcome(error, { bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024 });
      if (mapped.unexpected) request.log.error({ err: error }, 'consent request failed');
      return reply.code(mapped.status).type('application/fhir+json').send(mapped.outcome);
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/session`, { schema: { params: patientParams } }, async (request) => {
      const staff = requireFhirAccess(request, 'Consent', 'create');
      const patientId = patientIdOf(request);
      const { accessToken, expiresIn } = sessions.issue(patientId, staff.clientId);
      return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, patient: `Patient/${patientId}` };
    });

    app.get(`${CONSENT_PREFIX}/patients/:patientId`, { schema: { params: patientParams } }, async (request) => {
      const patientId = patientIdOf(request);
      actorFor(request, patientId, 'read');
      const record = keys.get(patientId);
      if (!record) throw new OperationOutcomeError(notFound);
      return record;
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/custodial-key`, { schema: { params: patientParams } }, async (request, reply) => {
      const patientId = patientIdOf(request);
      actorFor(request, patientId, 'update');
      const existed = keys.get(patientId) !== null;
      return reply.code(existed ? 200 : 201).send(keys.ensureCustodial(patientId));
    });

    app.get(
      `${CONSENT_PREFIX}/patients/:patientId/wallet-link-statement`,
      { schema: { params: patientParams, querystring: { type: 'object', required: ['address'], properties: { address: { type: 'string' } } } } },
      async (request) => ({ statement: keys.linkStatement(patientIdOf(request), (request.query as { address: string }).address) }),
    );

    app.post(
      `${CONSENT_PREFIX}/patients/:patientId/wallet`,
      {
        schema: {
          params: patientParams,
          body: { type: 'object', required: ['address', 'signature'], properties: { address: { type: 'string' }, signature: { type: 'string' } } },
        },
      },
      async (request, reply) => {
        const patientId = patientIdOf(request);
        actorFor(request, patientId, 'update');
        const body = request.body as { address: string; signature: string };
        return reply.code(201).send(keys.linkWallet(patientId, body.address, body.signature));
      },
    );

    app.post(`${CONSENT_PREFIX}/patients/:patientId/consent-requests`, { schema: { params: patientParams, body: grantBody } }, async (request) => {
      const patientId = patientIdOf(request);
      actorFor(request, patientId, 'read');
      return consents.consentTypedData(patientId, request.body as GrantRequest);
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/consents`, { schema: { params: patientParams, body: grantBody } }, async (request, reply) => {
      const patientId = patientIdOf(request);
      actorFor(request, patientId, 'update');
      return reply.code(201).send(await consents.grant(patientId, request.body as GrantRequest));
    });

    app.get(`${CONSENT_PREFIX}/patients/:patientId/consents`, { schema: { params: patientParams } }, async (request) => {
      const patientId = patientIdOf(request);
      actorFor(request, patientId, 'read');
      return { patient: `Patient/${patientId}`, grants: consents.list(patientId) };
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/consents/:grantId/revocation-requests`, { schema: { params: grantParams } }, async (request) => {
      const patientId = patientIdOf(request);
      actorFor(request, patientId, 'read');
      return consents.revocationTypedData(patientId, grantIdOf(request));
    });

    app.post(
      `${CONSENT_PREFIX}/patients/:patientId/consents/:grantId/revoke`,
      {
        schema: {
          params: grantParams,
          body: {
            type: ['object', 'null'],
            additionalProperties: false,
            properties: { signature: { type: 'string' }, nonce: { type: 'string', pattern: '^[0-9]{1,78}$' } },
          },
        },
      },
      async (request) => {
        const patientId = patientIdOf(request);
        actorFor(request, patientId, 'update');
        return consents.revoke(patientId, grantIdOf(request), (request.body ?? {}) as { signature?: string; nonce?: string });
      },
    );

    app.get(`${CONSENT_PREFIX}/patients/:patientId/accesses`, { schema: { params: patientParams } }, async (request) => {
      const patientId = patientIdOf(request);
      actorFor(request, patientId, 'read');
      const accesses = await accessLog.accessesOf(patientId);
      return {
        patient: `Patient/${patientId}`,
        accesses: accesses.map((entry) => ({ ...entry, emergencyTx: entry.breakGlass ? emergency.txFor(entry.auditEvent.id!) : null })),
      };
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/erase`, { schema: { params: patientParams } }, async (request) => {
      const patientId = patientIdOf(request);
      return erasure.erase(patientId, actorFor(request, patientId, 'update'));
    });

    app.post(
      `${CONSENT_PREFIX}/member-token`,
      {
        schema: {
          body: {
            type: 'object',
            required: ['practitioner', 'audience', 'purpose'],
            additionalProperties: false,
            properties: {
              practitioner: { type: 'string', minLength: 1, maxLength: 128 },
              audience: { type: 'string', minLength: 1 },
              purpose: { type: 'string', enum: Object.keys(PurposeOfUse) },
              break_glass_reason: { type: 'string', maxLength: 1000 },
              lifetimeSeconds: { type: 'integer', minimum: 1, maximum: MEMBER_JWT_MAX_LIFETIME_SECONDS },
            },
          },
        },
      },
      async (request) => {
        // Minting a credential that reads other hospitals' data is a system-wide read.
        requireFhirAccess(request, undefined, 'operation', { permissions: 'rs' });
        const body = request.body as { practitioner: string; audience: string; purpose: PurposeCode; break_glass_reason?: string; lifetimeSeconds?: number };
        const now = Math.floor(Date.now() / 1000);
        const lifetime = body.lifetimeSeconds ?? 120;
        const token = signMemberJwt(options.self.signerKey, {
          iss: options.self.memberId,
          sub: body.practitioner,
          aud: body.audience,
          iat: now,
          exp: now + lifetime,
          jti: randomUUID(),
          purpose: body.purpose,
          ...(body.break_glass_reason !== undefined ? { break_glass_reason: body.break_glass_reason } : {}),
        });
        return { token, token_type: 'Bearer', expires_in: lifetime };
      },
    );

    app.get(
      `${CONSENT_PREFIX}/grants/:grantId`,
      { schema: { params: { type: 'object', properties: { grantId: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } } } } },
      async (request) => {
        requireFhirAccess(request, 'Consent', 'read');
        const grant = cache.get(grantIdOf(request));
        if (!grant) throw new OperationOutcomeError(notFound);
        return { ...grant, syncedBlock: cache.syncedBlock };
      },
    );
  };
}
