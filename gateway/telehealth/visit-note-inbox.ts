// The visit note, home side: `POST /telehealth/visit-notes`, where a host hospital delivers the
// note of a consult to the patient's home hospital (visit-note-delivery.ts). Taken only under the
// consent the session relied on:
//   - the caller is an active HOSPITAL member (its member JWT, purpose TREAT);
//   - the patient, named by their pseudonymous address, is a patient of this node;
//   - the grant named is on chain (read now, not from a cache): that patient's, to that member,
//     for treatment, standing and within its period.
// Anything else is refused with nothing stored. The note is stored through this node's intake
// (anchored here too) as its own DocumentReference in the patient's compartment, with the host's
// references turned into identifiers of the host member (they resolve only there). The copy's id
// is derived from the host member and the note id, and a version the home node already holds
// answers with what it holds, so a resend never duplicates and an older resend never overwrites.

import { OperationOutcomeError, badRequest, forbidden, getStatus, notFound } from '@medplum/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { MemberPrincipal } from '../consent/member-authenticator.js';
import { PurposeOfUse } from '../consent/purpose-of-use.js';
import { errorOutcome } from '../fhir/error-outcome.js';
import { type ConsentGrantRecord, type Hex, MemberRole } from '../ledger/ports.js';
import { FHIR_BASE } from '../server/fhir-bases.js';
import type { FhirResource, ResourceService } from '../store/service.js';
import { MAX_NOTE_CHARS, VISIT_NOTE_PATH } from './visit-note-delivery.js';

const SOURCE_VERSION = 'urn:careledger:source-version';
const MEMBER_SYSTEM = 'urn:careledger:member';

export interface VisitNoteInboxOptions {
  /** Authenticates a member JWT (gateway/consent/member-authenticator.ts); throws 401 when it is not valid. */
  authenticate(authorization: string | undefined): Promise<MemberPrincipal>;
  /** Chain reads of the ConsentRegistry. */
  consents: { getGrant(grantId: Hex): Promise<ConsentGrantRecord | null> };
  /** The patients this node holds, by pseudonymous address (gateway/consent/patient-keys.ts). */
  patients: { patientOf(address: Hex): string | null | Promise<string | null> };
  store: ResourceService;
  now?: () => number;
}

const outcomeSchema = { type: 'object', required: ['resourceType'], properties: { resourceType: { const: 'OperationOutcome' } }, additionalProperties: true } as const;
const receivedSchema = {
  type: 'object',
  required: ['documentReference', 'receipt'],
  additionalProperties: false,
  properties: {
    documentReference: { type: 'string', description: "DocumentReference/<id>/_history/<v> at this (the patient's home) node" },
    receipt: { type: 'string', description: 'Where its anchoring receipt is served (202 until anchored)' },
  },
} as const;
const visitNoteBodySchema = {
  type: 'object',
  required: ['note', 'patientAddress', 'consentGrantId'],
  additionalProperties: false,
  properties: {
    note: {
      type: 'object',
      required: ['resourceType', 'id', 'meta', 'content'],
      properties: {
        resourceType: { const: 'DocumentReference' },
        id: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' },
        meta: { type: 'object', required: ['versionId'], properties: { versionId: { type: 'string', pattern: '^[0-9]{1,12}$' } } },
        content: { type: 'array', minItems: 1, maxItems: 4 },
      },
    },
    patientAddress: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
    consentGrantId: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' },
  },
} as const;

interface DeliveredNote {
  note: FhirResource & { id: string; meta: { versionId: string }; content: unknown[] };
  patientAddress: string;
  consentGrantId: string;
}

export function visitNoteInbox(options: VisitNoteInboxOptions) {
  const now = options.now ?? Date.now;

  return async function routes(app: FastifyInstance): Promise<void> {
    app.setErrorHandler((error, request, reply) => {
      const mapped = errorOutcome(error, { bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024 });
      if (mapped.unexpected) request.log.error({ err: error }, 'visit note delivery failed');
      return reply.code(mapped.status).type('application/fhir+json').send(mapped.outcome);
    });

    // The caller is authenticated before its body is read or checked.
    const callers = new WeakMap<FastifyRequest, MemberPrincipal>();
    app.addHook('onRequest', async (request) => {
      callers.set(request, await options.authenticate(request.headers.authorization));
    });

    app.post(
      VISIT_NOTE_PATH,
      {
        // A note at its longest, four UTF-8 bytes a character, in base64, with room for the rest.
        bodyLimit: Math.ceil((MAX_NOTE_CHARS * 4 * 4) / 3) + 256 * 1024,
        schema: {
          summary: "A host hospital delivers a consult's visit note to the patient's home hospital (member JWT, purpose TREAT)",
          body: visitNoteBodySchema,
          response: { 200: receivedSchema, 201: receivedSchema, '4xx': outcomeSchema },
        },
      },
      async (request, reply) => {
        const host = callers.get(request)!;
        if (host.purpose !== 'TREAT') throw refusal(`A visit note is delivered for treatment: mint the member JWT with purpose TREAT, not ${host.purpose}`);
        if ((host.roles & MemberRole.HOSPITAL) === 0) throw refusal(`${host.orgId} is not a HOSPITAL member: only a hospital hosts consults`);
        const body = request.body as DeliveredNote;
        const address = body.patientAddress.toLowerCase() as Hex;
        const patientId = await options.patients.patientOf(address);
        if (!patientId) {
          throw new OperationOutcomeError({ ...notFound, issue: [{ severity: 'error', code: 'not-found', details: { text: 'No patient with that address is held here: deliver the note to the patient\'s home member' } }] });
        }
        await requireConsent(options.consents, body.consentGrantId.toLowerCase() as Hex, address, host.memberId, Math.floor(now() / 1000));

        const id = homeNoteId(host.memberId, body.note.id);
        const incoming = Number(body.note.meta.versionId);
        const held = await heldCopy(options.store, id);
        if (held && sourceVersionOf(held.resource) >= incoming) {
          return reply.code(200).send(answer(id, held.versionId));
        }
        const written = await options.store.update('DocumentReference', id, homeCopy(body.note, id, host.memberId, patientId));
        return reply.code(written.outcome === 'created' ? 201 : 200).send(answer(id, written.versionId));
      },
    );
  };
}

/** The id of the home copy: one per (host member, host note id), so resends land on it. */
export function homeNoteId(hostMember: Hex, noteId: string): string {
  return `vn-${createHash('sha256').update(`${hostMember}|${noteId}`).digest('hex').slice(0, 40)}`;
}

async function requireConsent(consents: VisitNoteInboxOptions['consents'], grantId: Hex, patient: Hex, host: Hex, nowSeconds: number): Promise<void> {
  const grant = await consents.getGrant(grantId);
  const problem = !grant
    ? 'the consent grant named is not on chain'
    : grant.patient.toLowerCase() !== patient
      ? "the consent grant named is another patient's"
      : grant.granteeMember.toLowerCase() !== host.toLowerCase()
        ? 'the consent grant named is to another member'
        : (grant.purposes & PurposeOfUse.TREAT) === 0
          ? 'the consent grant named does not cover treatment'
          : grant.revokedAt !== null
            ? 'the patient revoked the consent grant named'
            : nowSeconds < grant.notBefore
              ? 'the consent grant named is not valid yet'
              : nowSeconds >= grant.notAfter
                ? 'the consent grant named has expired'
                : null;
  if (problem) throw refusal(`No consent covers this delivery: ${problem}. The note is delivered only under the consent the session relied on`);
}

function homeCopy(note: DeliveredNote['note'], id: string, host: Hex, patientId: string): FhirResource {
  const asIdentifier = (value: unknown, type: string) => {
    const reference = (value as { reference?: unknown } | undefined)?.reference;
    if (typeof reference !== 'string' || !reference.startsWith(`${type}/`)) return undefined;
    return { identifier: { system: `${MEMBER_SYSTEM}:${host}:${type}`, value: reference.slice(type.length + 1).split('/')[0] } };
  };
  const context = Array.isArray(note.context) ? note.context.map((c) => asIdentifier(c, 'Encounter')).filter(Boolean) : [];
  const author = Array.isArray(note.author) ? note.author.map((a) => asIdentifier(a, 'Practitioner')).filter(Boolean) : [];
  if (!note.content.every((c) => typeof (c as { attachment?: unknown })?.attachment === 'object')) {
    throw new OperationOutcomeError(badRequest('Every note.content entry needs an attachment', 'note.content'));
  }
  return {
    resourceType: 'DocumentReference',
    id,
    extension: [{ url: SOURCE_VERSION, valueString: note.meta.versionId }],
    identifier: [{ system: `${MEMBER_SYSTEM}:${host}:DocumentReference`, value: note.id }],
    status: 'current',
    docStatus: 'final',
    ...(note.type ? { type: note.type } : {}),
    subject: { reference: `Patient/${patientId}` },
    ...(context.length ? { context } : {}),
    ...(typeof note.date === 'string' ? { date: note.date } : {}),
    ...(author.length ? { author } : {}),
    custodian: { identifier: { system: MEMBER_SYSTEM, value: host } },
    content: note.content,
  };
}

async function heldCopy(store: ResourceService, id: string) {
  try {
    return await store.read('DocumentReference', id);
  } catch (error) {
    if (error instanceof OperationOutcomeError && getStatus(error.outcome) === 404) return null;
    throw error;
  }
}

function sourceVersionOf(resource: FhirResource): number {
  const extension = (resource.extension as Array<{ url: string; valueString?: string }> | undefined)?.find((e) => e.url === SOURCE_VERSION);
  return Number(extension?.valueString ?? 0);
}

function answer(id: string, versionId: string) {
  return { documentReference: `DocumentReference/${id}/_history/${versionId}`, receipt: `${FHIR_BASE}/DocumentReference/${id}/_history/${versionId}/$receipt` };
}

function refusal(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
}
