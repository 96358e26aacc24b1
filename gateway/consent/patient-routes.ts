// The patient API under /consent, as one encapsulated fastify plugin. Who may act for a patient:
//   - the patient, with a patient access token (`Bearer clp_...`) that staff issued for them;
//   - hospital staff, through an EHR client's SMART token with Consent scopes (an explicit staff
//     action, e.g. at the front desk after checking identity).
// Two acts are beyond both, because Consent scopes also mint patient sessions for any patient:
//   - erasure (irreversible) needs a staff token with the dedicated scope `system/Patient.$erase`
//     and a stated reason; it is recorded as an anchored AuditEvent;
//   - linking a wallet (it decides who signs for the patient from then on) needs a staff token
//     with `system/Patient.$link-wallet`, after staff checked the patient's identity, plus the
//     wallet's own signature over the link statement.
// Keys, sessions and links exist only for a Patient this hospital holds.
// A custodial key signs only inside these authenticated calls. A wallet-holding patient gets the
// EIP-712 request from `.../consent-requests` (or `.../revocation-requests`), signs it in the
// wallet and posts the signature. Member JWTs are minted only for an active Practitioner this
// hospital holds, for an http(s) audience, and carry a break-glass reason only for a client with
// `system/Patient.$break-glass`. Errors are OperationOutcomes, like the FHIR routes.

import { OperationOutcomeError, badRequest, forbidden, getStatus, notFound, unauthorized } from '@medplum/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { errorOutcome } from '../fhir/error-outcome.js';
import { requireDedicatedScope, requireFhirAccess } from '../auth/fhir-access.js';
import { DEDICATED_SCOPES, type DedicatedScope } from '../auth/smart-scopes.js';
import type { Hex } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import type { AccessLog } from './access-log.js';
import { BREAK_GLASS_PURPOSE } from './consent-enforcer.js';
import type { ConsentService, GrantRequest } from './consent-service.js';
import type { EmergencyLog } from './emergency-log.js';
import type { PatientErasure } from './erasure.js';
import type { GrantCache } from './grant-cache.js';
import { MEMBER_JWT_MAX_LIFETIME_SECONDS, signMemberJwt } from './member-jwt.js';
import type { PatientKeys } from './patient-keys.js';
import { PATIENT_TOKEN_PREFIX, type PatientSessions } from './patient-sessions.js';
import { PurposeOfUse, type PurposeCode } from './purpose-of-use.js';
import { checkStatedReason } from './stated-reason.js';

const CONSENT_PREFIX = '/consent';

export interface PatientRoutesOptions {
  consents: ConsentService;
  keys: PatientKeys;
  sessions: PatientSessions;
  accessLog: AccessLog;
  emergency: EmergencyLog;
  erasure: PatientErasure;
  cache: GrantCache;
  /** The node's store: member tokens name only Practitioners it holds. */
  store: ResourceService;
  /** This node as a member: its id and signer key mint member JWTs for its own practitioners. */
  self: { memberId: Hex; signerKey: string };
  /** The patient's telehealth consults at this node (gateway/telehealth/patient-consults.ts), when telehealth is on. */
  consults?: { of(patientId: string, address: Hex | null): Promise<unknown> };
}

type Actor = { kind: 'patient' } | { kind: 'staff'; clientId: string };

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
  const { consents, keys, sessions, accessLog, emergency, erasure, cache, store } = options;

  /** A staff act under a dedicated scope: a patient token is refused outright, whoever issued it. */
  const staffWith = (request: FastifyRequest, scope: DedicatedScope, action: string) => {
    const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token?.startsWith(PATIENT_TOKEN_PREFIX)) {
      const text = `${action} is a staff action: it needs a staff token with ${scope}, not a patient access token`;
      throw new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
    }
    return requireDedicatedScope(request, scope, action);
  };

  /** The patient themselves (their token) or staff with the given Consent interaction. */
  const actorFor = async (request: FastifyRequest, patientId: string, interaction: 'read' | 'update'): Promise<Actor> => {
    const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token?.startsWith(PATIENT_TOKEN_PREFIX)) {
      const owner = await sessions.patientOf(token);
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
      await consents.requirePatient(patientId);
      const { accessToken, expiresIn } = await sessions.issue(patientId, staff.clientId);
      return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, patient: `Patient/${patientId}` };
    });

    app.get(`${CONSENT_PREFIX}/patients/:patientId`, { schema: { params: patientParams } }, async (request) => {
      const patientId = patientIdOf(request);
      await actorFor(request, patientId, 'read');
      const record = keys.get(patientId);
      if (!record) throw new OperationOutcomeError(notFound);
      return record;
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/custodial-key`, { schema: { params: patientParams } }, async (request, reply) => {
      const patientId = patientIdOf(request);
      await actorFor(request, patientId, 'update');
      const { record, created } = await consents.custodialKey(patientId);
      return reply.code(created ? 201 : 200).send(record);
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
        staffWith(request, DEDICATED_SCOPES.linkWallet, 'Linking a wallet to a patient');
        await consents.requirePatient(patientId);
        const body = request.body as { address: string; signature: string };
        return reply.code(201).send(await keys.linkWallet(patientId, body.address, body.signature));
      },
    );

    app.post(`${CONSENT_PREFIX}/patients/:patientId/consent-requests`, { schema: { params: patientParams, body: grantBody } }, async (request) => {
      const patientId = patientIdOf(request);
      await actorFor(request, patientId, 'read');
      return consents.consentTypedData(patientId, request.body as GrantRequest);
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/consents`, { schema: { params: patientParams, body: grantBody } }, async (request, reply) => {
      const patientId = patientIdOf(request);
      await actorFor(request, patientId, 'update');
      return reply.code(201).send(await consents.grant(patientId, request.body as GrantRequest));
    });

    app.get(`${CONSENT_PREFIX}/patients/:patientId/consents`, { schema: { params: patientParams } }, async (request) => {
      const patientId = patientIdOf(request);
      await actorFor(request, patientId, 'read');
      return { patient: `Patient/${patientId}`, grants: consents.list(patientId) };
    });

    app.post(`${CONSENT_PREFIX}/patients/:patientId/consents/:grantId/revocation-requests`, { schema: { params: grantParams } }, async (request) => {
      const patientId = patientIdOf(request);
      await actorFor(request, patientId, 'read');
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
        await actorFor(request, patientId, 'update');
        return consents.revoke(patientId, grantIdOf(request), (request.body ?? {}) as { signature?: string; nonce?: string });
      },
    );

    const { consults } = options;
    if (consults) {
      // Sessions hosted here, those other members' hosts answer for (a host that does not answer
      // is listed as unavailable, never failing the view) and visit notes delivered here, each
      // event and note with its receipt.
      app.get(`${CONSENT_PREFIX}/patients/:patientId/telehealth-sessions`, { schema: { params: patientParams } }, async (request) => {
        const patientId = patientIdOf(request);
        await actorFor(request, patientId, 'read');
        await consents.requirePatient(patientId);
        return consults.of(patientId, keys.addressOf(patientId));
      });
    }

    app.get(`${CONSENT_PREFIX}/patients/:patientId/accesses`, { schema: { params: patientParams } }, async (request) => {
      const patientId = patientIdOf(request);
      await actorFor(request, patientId, 'read');
      const accesses = await accessLog.accessesOf(patientId);
      return {
        patient: `Patient/${patientId}`,
        accesses: await Promise.all(
          accesses.map(async (entry) => ({ ...entry, emergencyTx: entry.breakGlass ? await emergency.txFor(entry.auditEvent.id!) : null })),
        ),
      };
    });

    app.post(
      `${CONSENT_PREFIX}/patients/:patientId/erase`,
      {
        schema: {
          params: patientParams,
          body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 4000 } } },
        },
      },
      async (request) => {
        const patientId = patientIdOf(request);
        const staff = staffWith(request, DEDICATED_SCOPES.erase, 'Erasing a patient');
        const reason = checkStatedReason((request.body as { reason?: string } | null)?.reason);
        if (!reason.ok) throw new OperationOutcomeError(badRequest(`Erasure is irreversible and needs {"reason": "..."}: ${reason.problem}`, 'reason'));
        return erasure.erase(patientId, { clientId: staff.clientId, reason: reason.reason });
      },
    );

    app.post(
      `${CONSENT_PREFIX}/member-token`,
      {
        schema: {
          body: {
            type: 'object',
            required: ['practitioner', 'audience', 'purpose'],
            additionalProperties: false,
            properties: {
              practitioner: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' },
              audience: { type: 'string', minLength: 1, maxLength: 2048 },
              purpose: { type: 'string', enum: Object.keys(PurposeOfUse) },
              break_glass_reason: { type: 'string', maxLength: 4000 },
              lifetimeSeconds: { type: 'integer', minimum: 1, maximum: MEMBER_JWT_MAX_LIFETIME_SECONDS },
            },
          },
        },
      },
      async (request) => {
        // Minting a credential that reads other hospitals' data is a system-wide read.
        requireFhirAccess(request, undefined, 'operation', { permissions: 'rs' });
        const body = request.body as { practitioner: string; audience: string; purpose: PurposeCode; break_glass_reason?: string; lifetimeSeconds?: number };
        requireAudienceUrl(body.audience);
        const breakGlassReason = body.break_glass_reason === undefined ? undefined : breakGlassReasonFor(request, body.purpose, body.break_glass_reason);
        await requireActivePractitioner(store, body.practitioner);
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
          ...(breakGlassReason !== undefined ? { break_glass_reason: breakGlassReason } : {}),
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

/** `aud` is checked by the serving node against its own URL; here only that it is one. */
function requireAudienceUrl(audience: string): void {
  const url = URL.canParse(audience) ? new URL(audience) : null;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new OperationOutcomeError(
      badRequest('audience must be the serving member node\'s base URL (http(s), no credentials, query or fragment), e.g. https://node.hospital-a.example', 'audience'),
    );
  }
}

/** A break-glass reason goes into a token only for a client trusted with it, for ETREAT, if it says something. */
function breakGlassReasonFor(request: FastifyRequest, purpose: PurposeCode, raw: string): string {
  requireDedicatedScope(request, DEDICATED_SCOPES.breakGlass, 'Minting a break-glass member token');
  if (purpose !== BREAK_GLASS_PURPOSE) {
    throw new OperationOutcomeError(badRequest(`A break-glass token is for emergency treatment: use purpose ${BREAK_GLASS_PURPOSE}`, 'purpose'));
  }
  const reason = checkStatedReason(raw);
  if (!reason.ok) throw new OperationOutcomeError(badRequest(`break_glass_reason: ${reason.problem}`, 'break_glass_reason'));
  return reason.reason;
}

/**
 * The practitioner a member token names is one the hospital vouches for: an active Practitioner
 * resource in its own store (the EHR keeps it current), never a free-text claim of the caller.
 */
async function requireActivePractitioner(store: ResourceService, practitionerId: string): Promise<void> {
  const refuse = () => {
    const text = `Practitioner/${practitionerId} is not an active Practitioner of this hospital: member tokens name only practitioners held here (active, not erased)`;
    return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
  };
  let practitioner;
  try {
    practitioner = (await store.read('Practitioner', practitionerId)).resource;
  } catch (error) {
    if (error instanceof OperationOutcomeError && getStatus(error.outcome) < 500) throw refuse();
    throw error;
  }
  if (practitioner.active === false) throw refuse();
}
