// The visit note, host side. At the end of a consult the host's provider writes the note; it is
// stored here as an R5 DocumentReference (anchored through intake like every resource) and sent to
// the patient's home hospital, which stores and anchors its own copy (visit-note-inbox.ts).
//
// A DocumentReference rather than a Composition: the note crosses to another organisation, and a
// DocumentReference carries its content inline (attachment.data) with nothing left to resolve
// there, where a Composition is a document only inside a Bundle with every resource it cites.
//
// Delivery goes through a durable outbox (SQLite): the note is queued in the same call that
// stores it and sent in the background, with exponential backoff while the home node is down or
// failing, across restarts. A refusal (4xx: e.g. the consent was revoked) is final and kept with
// its reason; the home side is idempotent by the note's id and version, so a resend after a lost
// answer stores nothing twice. The call is authenticated with a member JWT of this node (purpose
// TREAT) and names the consent grant the session relied on: "under the same consent".

import { OperationOutcomeError, badRequest } from '@medplum/core';
import { randomUUID } from 'node:crypto';
import { signMemberJwt } from '../consent/member-jwt.js';
import type { Hex } from '../ledger/ports.js';
import type { FhirResource, ResourceService } from '../store/service.js';
import type { RecordsLog } from './retention-purge.js';

export const VISIT_NOTE_PATH = '/telehealth/visit-notes';
export const MAX_NOTE_CHARS = 100_000;
const PATIENT_ADDRESS_SYSTEM = 'urn:careledger:patient-address';
const CONSULT_NOTE = { coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Consult note' }] };
const JWT_LIFETIME_SECONDS = 120;
const REQUEST_TIMEOUT_MS = 10_000;

export type OutboxStatus = 'pending' | 'delivered' | 'refused';

/** One note on its way to a home node. */
export interface OutboxNote {
  noteId: string;
  noteVersion: string;
  homeMember: Hex;
  patientAddress: Hex;
  consentGrantId: Hex;
  practitionerId: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** The home node's reference to its copy, once delivered. */
  deliveredRef: string | null;
}

/** The outbox table (gateway/store/consult-message-store.ts). */
export interface VisitNoteOutbox {
  /** Queues a note once: queueing the same id and version again changes nothing. */
  enqueue(note: Pick<OutboxNote, 'noteId' | 'noteVersion' | 'homeMember' | 'patientAddress' | 'consentGrantId' | 'practitionerId'>, now: number): Promise<void>;
  due(now: number, limit: number): Promise<OutboxNote[]>;
  get(noteId: string, noteVersion: string): Promise<OutboxNote | null>;
  markDelivered(noteId: string, noteVersion: string, deliveredRef: string): Promise<void>;
  markRefused(noteId: string, noteVersion: string, error: string): Promise<void>;
  retryAt(noteId: string, noteVersion: string, nextAttemptAt: number, error: string): Promise<void>;
}

/** What the workflow knows of the finished session. */
export interface VisitNoteSession {
  /** `Encounter/<id>` at this node. */
  encounter: string;
  /** `Patient/<id>` when this node holds the patient's record, else null. */
  patientReference: string | null;
  patientAddress: Hex;
  homeMember: Hex;
  /** The ConsentRegistry grant the session opened under. */
  consentGrantId: Hex;
}

export interface VisitNoteInput {
  session: VisitNoteSession;
  /** The host's practitioner who wrote it (a Practitioner id of this node). */
  practitionerId: string;
  text: string;
  contentType?: 'text/plain' | 'text/markdown';
}

export interface WrittenVisitNote {
  /** `DocumentReference/<id>/_history/<v>` at this node. */
  documentReference: string;
  delivery: OutboxNote;
}

export interface VisitNoteDeliveryOptions {
  outbox: VisitNoteOutbox;
  store: ResourceService;
  /** This node as a member: its id and signer key sign the member JWT. */
  self: { memberId: Hex; signerKey: string };
  /** The base URL of a member's node (TELEHEALTH_MEMBER_URLS), null when unknown. */
  homeUrlOf(member: Hex): string | null;
  /** How often the outbox is looked at; default 1 s. */
  pollMs?: number;
  /** First retry delay, doubled per attempt up to maxBackoffMs; defaults 1 s and 5 min. */
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  log?: RecordsLog;
}

export class VisitNoteDelivery {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: VisitNoteDeliveryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Stores the note (anchored) and queues it for the patient's home node. */
  async write(input: VisitNoteInput): Promise<WrittenVisitNote> {
    const text = input.text.trim();
    if (text.length === 0 || input.text.length > MAX_NOTE_CHARS) {
      throw new OperationOutcomeError(badRequest(`A visit note needs 1-${MAX_NOTE_CHARS} characters of text`, 'text'));
    }
    const written = await this.options.store.create(hostNote(input, new Date(this.now())));
    const noteId = written.resource.id!;
    await this.options.outbox.enqueue(
      {
        noteId,
        noteVersion: written.versionId,
        homeMember: input.session.homeMember,
        patientAddress: input.session.patientAddress,
        consentGrantId: input.session.consentGrantId,
        practitionerId: input.practitionerId,
      },
      this.now(),
    );
    this.kick();
    return { documentReference: `DocumentReference/${noteId}/_history/${written.versionId}`, delivery: (await this.options.outbox.get(noteId, written.versionId))! };
  }

  async status(noteId: string, noteVersion: string): Promise<OutboxNote | null> {
    return this.options.outbox.get(noteId, noteVersion);
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the due notes; what the timer runs. */
  async deliverDue(): Promise<void> {
    for (const note of await this.options.outbox.due(this.now(), 50)) await this.deliver(note);
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.deliverDue()
      .catch((error: unknown) => this.options.log?.warn({ err: error }, 'visit-note delivery pass failed; retrying'))
      .finally(() => {
        this.running = undefined;
      });
  }

  private async deliver(note: OutboxNote): Promise<void> {
    const retry = (why: string) =>
      this.options.outbox.retryAt(note.noteId, note.noteVersion, this.now() + this.backoff(note.attempts), why.slice(0, 500));
    const homeUrl = this.options.homeUrlOf(note.homeMember);
    if (!homeUrl) {
      // Configuration, not the home node's answer: the note waits untouched until the URL is set.
      this.options.log?.warn({ member: note.homeMember }, 'a visit note waits for a member whose node URL is unknown: add it to TELEHEALTH_MEMBER_URLS');
      return;
    }

    const stored = await this.options.store.vread('DocumentReference', note.noteId, note.noteVersion);
    const nowSeconds = Math.floor(this.now() / 1000);
    const token = signMemberJwt(this.options.self.signerKey, {
      iss: this.options.self.memberId,
      sub: note.practitionerId,
      aud: homeUrl,
      iat: nowSeconds,
      exp: nowSeconds + JWT_LIFETIME_SECONDS,
      jti: randomUUID(),
      purpose: 'TREAT',
    });
    let response: Response;
    try {
      response = await fetch(`${homeUrl}${VISIT_NOTE_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ note: stored.resource, patientAddress: note.patientAddress, consentGrantId: note.consentGrantId }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      return retry(`The home node did not answer: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as { documentReference?: string; issue?: Array<{ details?: { text?: string }; diagnostics?: string }> } | null;
    if (response.ok && typeof body?.documentReference === 'string') {
      await this.options.outbox.markDelivered(note.noteId, note.noteVersion, body.documentReference);
      this.options.log?.info({ note: `DocumentReference/${note.noteId}/_history/${note.noteVersion}` }, 'visit note delivered to the home node');
      return;
    }
    const reason = `HTTP ${response.status}: ${body?.issue?.[0]?.details?.text ?? body?.issue?.[0]?.diagnostics ?? 'no explanation'}`;
    // 408 and 429 are "later", 5xx the home node's trouble; any other 4xx is its answer to this note.
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      await this.options.outbox.markRefused(note.noteId, note.noteVersion, reason.slice(0, 500));
      this.options.log?.warn({ note: note.noteId, reason }, 'the home node refused the visit note; it will not be resent');
      return;
    }
    return retry(reason);
  }

  private backoff(attempts: number): number {
    const base = this.options.backoffMs ?? 1000;
    return Math.min(base * 2 ** Math.min(attempts, 20), this.options.maxBackoffMs ?? 300_000);
  }
}

function hostNote(input: VisitNoteInput, at: Date): FhirResource {
  const { session } = input;
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    docStatus: 'final',
    type: CONSULT_NOTE,
    subject: session.patientReference
      ? { reference: session.patientReference }
      : { identifier: { system: PATIENT_ADDRESS_SYSTEM, value: session.patientAddress.toLowerCase() } },
    context: [{ reference: session.encounter }],
    date: at.toISOString(),
    author: [{ reference: `Practitioner/${input.practitionerId}` }],
    content: [
      {
        attachment: {
          contentType: `${input.contentType ?? 'text/plain'}; charset=utf-8`,
          data: Buffer.from(input.text, 'utf8').toString('base64'),
          title: 'Telehealth visit note',
          creation: at.toISOString(),
        },
      },
    ],
  };
}
