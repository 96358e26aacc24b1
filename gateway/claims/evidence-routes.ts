// GET /fhir/Claim/{id}/$evidence: the Claim's evidence Bundle (evidence-bundle.ts) for its payer
// or the hospital's staff (payer-access.ts). Only on the R5 base: the R4 base is the write-only
// intake (server/fhir-bases.ts), and the evidence is what the receipts cover, the R5 form.
// 200 with the Bundle; 202 with Retry-After while a cited version waits for its batch to be
// anchored (evidence without receipts proves nothing); errors as OperationOutcome. Every fetch by
// an authenticated caller, served or refused, is written as an AuditEvent (evidence-audit.ts) and
// anchored like any resource; a refusal writes nothing else.

import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireFhirAccess } from '../auth/fhir-access.js';
import type { AccessOutcome, AuditNode } from '../consent/audit-event.js';
import { errorOutcome } from '../fhir/error-outcome.js';
import { informational } from '../fhir/outcomes.js';
import { FHIR_BASE } from '../server/fhir-bases.js';
import type { ResourceService } from '../store/service.js';
import { evidenceAuditEvent } from './evidence-audit.js';
import { assembleEvidence, readClaim } from './evidence-bundle.js';
import type { EvidenceMetrics } from './evidence-metrics.js';
import { ClaimHidden, type PayerAccess } from './payer-access.js';

const FHIR_JSON = 'application/fhir+json; fhirVersion=5.0; charset=utf-8';
const FHIR_ID = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;

export interface EvidenceRoutesOptions {
  /** The node's own store: the evidence is read from it and the AuditEvents written to it. */
  store: ResourceService;
  access: PayerAccess;
  node: AuditNode;
  /** The node's R5 FHIR base, absolute. */
  baseUrl: string;
  metrics: EvidenceMetrics;
  now?: () => Date;
}

export function evidenceRoutes(options: EvidenceRoutesOptions) {
  const now = options.now ?? (() => new Date());
  return async function claimEvidencePlugin(app: FastifyInstance): Promise<void> {
    app.setErrorHandler((error, request, reply) => {
      const mapped = errorOutcome(error, { bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024 });
      if (mapped.unexpected) request.log.error({ err: error }, 'claim evidence request failed');
      return reply.code(mapped.status).type(FHIR_JSON).send(mapped.outcome);
    });

    app.get<{ Params: { id: string } }>(`${FHIR_BASE}/Claim/:id/$evidence`, async (request, reply) => {
      const { id } = request.params;
      if (!FHIR_ID.test(id)) throw new OperationOutcomeError(badRequest(`Invalid claim id ${id.slice(0, 80)}: expected [A-Za-z0-9-.]{1,64}`, 'id'));
      const started = performance.now();
      const caller = await options.access.callerOf(request);
      const audit = (outcome: AccessOutcome, extra: { outcomeText?: string; patient?: string; versions?: string[] } = {}) =>
        options.store.create(
          evidenceAuditEvent({ recorded: now(), node: options.node, caller, claimId: id, outcome, versions: extra.versions ?? [], ...extra }),
        );

      let claim;
      try {
        options.access.checkPayer(caller);
        claim = await readClaim(options.store, id);
        await options.access.admit(caller, claim);
      } catch (error) {
        if (caller.kind === 'member' && error instanceof OperationOutcomeError) {
          // The payer sees one 404 for "no such claim" and "not billed to you"; the audit keeps which.
          const hidden = error instanceof ClaimHidden || error.outcome.id === 'not-found' || error.outcome.id === 'gone';
          const reason = error instanceof ClaimHidden ? error.reason : hidden ? 'no such claim at this node' : (error.outcome.issue?.[0]?.details?.text ?? 'refused');
          await audit(hidden ? 'not-found' : 'denied', { outcomeText: reason });
          options.metrics.fetched('refused');
          if (hidden) throw new ClaimHidden(id, caller.member.orgId, reason);
        }
        throw error;
      }

      const result = await assembleEvidence(options.store, claim, { baseUrl: options.baseUrl, now });
      if (result.status === 'pending') {
        options.metrics.fetched('pending');
        return sendPending(reply, result.retryAfterSeconds, result.waitingFor.length);
      }
      if (caller.kind === 'staff') {
        try {
          for (const type of new Set(result.versions.map((v) => v.split('/')[0]!))) requireFhirAccess(request, type, 'read');
        } catch (error) {
          const text = error instanceof OperationOutcomeError ? error.outcome.issue?.[0]?.diagnostics : undefined;
          await audit('denied', { outcomeText: text ?? 'the token may not read every type in the evidence' });
          options.metrics.fetched('refused');
          throw error;
        }
      }
      const patient = (claim.patient as { reference?: unknown } | undefined)?.reference;
      await audit('allowed', { versions: result.versions, ...(typeof patient === 'string' && patient.startsWith('Patient/') ? { patient } : {}) });
      options.metrics.fetched('served', (performance.now() - started) / 1000);
      return reply.code(200).type(FHIR_JSON).send(JSON.stringify(result.bundle));
    });
  };
}

function sendPending(reply: FastifyReply, retryAfterSeconds: number, waiting: number): FastifyReply {
  const outcome = informational('accepted', `${waiting} version(s) of the evidence are not anchored yet; retry in ${retryAfterSeconds} s`);
  return reply.code(202).header('retry-after', String(retryAfterSeconds)).type(FHIR_JSON).send(JSON.stringify(outcome));
}
