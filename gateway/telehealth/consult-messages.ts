// In-session chat and files (a photo of a rash, a PDF of a prior report). A message is relayed to
// the session's admitted participants (an SSE notice, then GET), sealed in the vault and anchored.
//
// Each message is two things: an R5 Communication written through intake (encounter = the
// session's Encounter, sender, time, content type, size and a salted SHA-256 of the content),
// anchored like every resource; and the content itself, sealed under a data key of its own that is
// sealed in turn in the patient's vault compartment. The Communication deliberately holds no
// content: a resource version is sealed under the patient's one compartment key, so it could not
// be shredded alone when the consultation channel's retention runs out, while a message key can.
// Shredding a message drops its key and ciphertext; the anchored Communication then proves only
// that a message of that size was sent then, and its salted digest (salt sealed with the content)
// can no longer be tested against a guess. Erasing the patient shreds the compartment, and every
// message key with it.
//
// Every post and read re-checks live state through SessionGate (consent, licence, invitation,
// session open); observers (permissions.chat false) read but never post.

import { OperationOutcomeError, badRequest, conflict, forbidden, gone, notFound } from '@medplum/core';
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Hex } from '../ledger/ports.js';
import type { SealingVault } from '../store/ports.js';
import type { ResourceService } from '../store/service.js';
import type { ConsultNotifier, GateRefusal, Participant, ParticipantRole, SessionGate } from './ports.js';
import { expiresAt, type RetentionPeriod } from './retention-policy.js';
import type { TelehealthTables } from './telehealth-tables.js';

/** Longest chat message, in characters. */
export const MAX_TEXT_CHARS = 4000;
/** Largest file, in bytes: a phone photo at full resolution, or a multi-page scanned PDF. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Accepted file types and the bytes each must start with (the declared type is never trusted alone). */
export const FILE_SIGNATURES: Readonly<Record<string, readonly Buffer[]>> = {
  'image/jpeg': [Buffer.from([0xff, 0xd8, 0xff])],
  'image/png': [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  'application/pdf': [Buffer.from('%PDF-', 'latin1')],
};

const CONSULT_MESSAGE_SYSTEM = 'urn:careledger:consult-message';
const DIGEST_EXTENSION = 'urn:careledger:consult-message-digest';
const PARTICIPANT_SYSTEM = 'urn:careledger:telehealth-participant';
const PATIENT_ADDRESS_SYSTEM = 'urn:careledger:patient-address';
const CATEGORY = { coding: [{ system: 'urn:careledger:telehealth', code: 'consult-message', display: 'Consultation message' }] };
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 32;

/** What the consult workflow knows of a session that a message needs. */
export interface ConsultContext {
  /** `Encounter/<id>` at this (host) node. */
  encounter: string;
  /** `Patient/<id>` when this node holds the patient's record, else null (a patient of another member). */
  patientReference: string | null;
  /** The patient's pseudonymous address, as in their consent grants. */
  patientAddress: Hex;
}

export interface ConsultContexts {
  /** Null for a session this node does not host. */
  contextOf(sessionId: string): Promise<ConsultContext | null>;
}

/**
 * Contexts from the consult workflow's session rows. `patients` finds a patient this node holds by
 * address (the host is also the home hospital): their messages then live in their own compartment,
 * which erasure shreds; another member's patient gets a compartment of their address.
 */
export function contextsFromSessions(
  sessions: Pick<TelehealthTables, 'session'>,
  patients: { patientOf(address: Hex): string | null | Promise<string | null> },
): ConsultContexts {
  return {
    async contextOf(sessionId) {
      const row = await sessions.session(sessionId);
      if (!row) return null;
      const patientId = await patients.patientOf(row.patientAddress);
      return { encounter: `Encounter/${row.encounterId}`, patientReference: patientId ? `Patient/${patientId}` : null, patientAddress: row.patientAddress };
    },
  };
}

export type MessageKind = 'text' | 'file';

/** One message as the store keeps it: sealed content, or nothing once shredded. */
export interface StoredConsultMessage {
  messageId: string;
  sessionId: string;
  channel: 'consultation';
  sender: string;
  senderRole: ParticipantRole;
  kind: MessageKind;
  contentType: string;
  size: number;
  compartment: string;
  wrappedKey: Buffer | null;
  sealed: Buffer | null;
  /** `Communication/<id>/_history/<v>`: the anchored record of the message. */
  communication: string;
  createdAt: number;
  expiresAt: number;
  shreddedAt: number | null;
}

/** The messages table (gateway/store/consult-message-store.ts). */
export interface ConsultMessageTable {
  insert(message: StoredConsultMessage): Promise<void>;
  /** Oldest first. */
  list(sessionId: string): Promise<StoredConsultMessage[]>;
  get(sessionId: string, messageId: string): Promise<StoredConsultMessage | null>;
  /** Unshredded messages whose retention ended at or before `now`, oldest first. */
  expired(now: number, limit: number): Promise<Array<{ messageId: string; createdAt: number }>>;
  /** Drops key and ciphertext of each message; returns how many were still unshredded. */
  shred(messageIds: readonly string[], now: number): Promise<number>;
}

export type MessageInput = { kind: 'text'; text: string } | { kind: 'file'; contentType: string; bytes: Buffer };

/** A message as a participant sees it. */
export interface ConsultMessageView {
  id: string;
  sender: string;
  senderRole: ParticipantRole;
  kind: MessageKind;
  contentType: string;
  size: number;
  sentAt: string;
  communication: string;
  /** Text messages only, while kept. */
  text?: string;
  /** True once the retention period ran out and the content was shredded. */
  expired: boolean;
}

export interface ConsultMessagesOptions {
  table: ConsultMessageTable;
  /** The node's vault: message keys are sealed in the patient's compartment. */
  vault: SealingVault;
  /** The node's resource service (intake): Communications are anchored through it. */
  store: ResourceService;
  gate: SessionGate;
  contexts: ConsultContexts;
  notifier: ConsultNotifier;
  /** The consultation channel's retention (retention-policy.ts). */
  retention: RetentionPeriod;
  now?: () => number;
}

const REFUSAL_STATUS: Record<GateRefusal, 'forbidden' | 'conflict'> = {
  'session-closed': 'conflict',
  'not-admitted': 'forbidden',
  'not-a-participant': 'forbidden',
  'invitation-withdrawn': 'forbidden',
  'consent-revoked': 'forbidden',
  'licence-invalid': 'forbidden',
};

export class ConsultMessages {
  private readonly now: () => number;

  constructor(private readonly options: ConsultMessagesOptions) {
    this.now = options.now ?? Date.now;
  }

  async post(sessionId: string, participantId: string, input: MessageInput): Promise<ConsultMessageView> {
    const participant = await this.admitted(sessionId, participantId);
    if (!participant.permissions.chat) {
      throw refused(forbidden, `A participant in the ${participant.role} role may read the consultation's messages but not post them`);
    }
    const content = checkedContent(input);
    const context = await this.contextOf(sessionId);
    const messageId = randomUUID();
    const createdAt = this.now();
    const salt = randomBytes(SALT_BYTES);
    const digest = createHash('sha256').update(salt).update(content.bytes).digest('hex');

    // Sealed before anything is written: an erased patient's compartment refuses (410) with nothing stored.
    const compartment = compartmentOf(context);
    const key = randomBytes(32);
    const wrappedKey = this.options.vault.seal(compartment, keyLabel(messageId), key);
    const sealed = sealContent(key, messageId, Buffer.concat([salt, content.bytes]));
    const written = await this.options.store.create(
      communication({ messageId, context, participant, contentType: content.contentType, size: content.bytes.length, digest, sent: new Date(createdAt) }),
    );
    const message: StoredConsultMessage = {
      messageId,
      sessionId,
      channel: 'consultation',
      sender: participant.participantId,
      senderRole: participant.role,
      kind: input.kind,
      contentType: content.contentType,
      size: content.bytes.length,
      compartment,
      wrappedKey,
      sealed,
      communication: `Communication/${written.resource.id}/_history/${written.versionId}`,
      createdAt,
      expiresAt: expiresAt(createdAt, this.options.retention),
      shreddedAt: null,
    };
    await this.options.table.insert(message);
    this.options.notifier.notify(sessionId, null, { kind: 'message', sessionId, messageId, from: participant.participantId });
    return this.view(message);
  }

  async list(sessionId: string, participantId: string): Promise<ConsultMessageView[]> {
    await this.admitted(sessionId, participantId);
    return (await this.options.table.list(sessionId)).map((message) => this.view(message));
  }

  /** A file's bytes (or a text message's UTF-8) with its content type. */
  async content(sessionId: string, participantId: string, messageId: string): Promise<{ contentType: string; bytes: Buffer }> {
    await this.admitted(sessionId, participantId);
    const message = await this.options.table.get(sessionId, messageId);
    if (!message) throw refused(notFound, `No message ${messageId} in this session`);
    const plain = this.opened(message);
    if (!plain) throw refused(gone, 'This message was shredded when its retention period ended');
    return { contentType: message.contentType, bytes: plain.subarray(SALT_BYTES) };
  }

  private view(message: StoredConsultMessage): ConsultMessageView {
    const plain = message.kind === 'text' ? this.opened(message) : null;
    return {
      id: message.messageId,
      sender: message.sender,
      senderRole: message.senderRole,
      kind: message.kind,
      contentType: message.contentType,
      size: message.size,
      sentAt: new Date(message.createdAt).toISOString(),
      communication: message.communication,
      ...(plain ? { text: plain.subarray(SALT_BYTES).toString('utf8') } : {}),
      expired: message.shreddedAt !== null,
    };
  }

  /** The salt and content, or null once shredded; a shredded compartment (erased patient) throws 410. */
  private opened(message: StoredConsultMessage): Buffer | null {
    if (!message.wrappedKey || !message.sealed) return null;
    const key = this.options.vault.open(message.compartment, keyLabel(message.messageId), message.wrappedKey);
    return openContent(key, message.messageId, message.sealed);
  }

  private async admitted(sessionId: string, participantId: string): Promise<Participant> {
    const decision = await this.options.gate.check(sessionId, participantId);
    if (!decision.ok) {
      const base = REFUSAL_STATUS[decision.refusal] === 'conflict' ? conflict(decision.detail) : forbidden;
      throw refused(base, `${decision.refusal}: ${decision.detail}`);
    }
    return decision.participant;
  }

  private async contextOf(sessionId: string): Promise<ConsultContext> {
    const context = await this.options.contexts.contextOf(sessionId);
    if (!context) throw refused(notFound, `No telehealth session ${sessionId} is hosted here`);
    return context;
  }
}

/** The vault compartment a session's messages live in: the patient's own, so erasure shreds them. */
export function compartmentOf(context: ConsultContext): string {
  return context.patientReference ?? `patient-address:${context.patientAddress.toLowerCase()}`;
}

function checkedContent(input: MessageInput): { contentType: string; bytes: Buffer } {
  if (input.kind === 'text') {
    const text = input.text.trim();
    if (text.length === 0) throw new OperationOutcomeError(badRequest('A message needs some text', 'text'));
    if (input.text.length > MAX_TEXT_CHARS) throw new OperationOutcomeError(badRequest(`A message is at most ${MAX_TEXT_CHARS} characters; send a file for more`, 'text'));
    return { contentType: 'text/plain; charset=utf-8', bytes: Buffer.from(input.text, 'utf8') };
  }
  const signatures = FILE_SIGNATURES[input.contentType];
  if (!signatures) {
    throw refused(unsupportedType(), `Files may be ${Object.keys(FILE_SIGNATURES).join(', ')}; got ${input.contentType.slice(0, 100)}`);
  }
  if (input.bytes.length > MAX_FILE_BYTES) throw refused(tooLarge(), `A file is at most ${MAX_FILE_BYTES} bytes; this one has ${input.bytes.length}`);
  if (!signatures.some((magic) => input.bytes.subarray(0, magic.length).equals(magic))) {
    throw refused(unsupportedType(), `The file's bytes are not a ${input.contentType} file; send the file itself with its true Content-Type`);
  }
  return { contentType: input.contentType, bytes: input.bytes };
}

function communication(input: {
  messageId: string;
  context: ConsultContext;
  participant: Participant;
  contentType: string;
  size: number;
  digest: string;
  sent: Date;
}) {
  const { context } = input;
  return {
    resourceType: 'Communication',
    identifier: [{ system: CONSULT_MESSAGE_SYSTEM, value: input.messageId }],
    status: 'completed',
    category: [CATEGORY],
    subject: context.patientReference
      ? { reference: context.patientReference }
      : { identifier: { system: PATIENT_ADDRESS_SYSTEM, value: context.patientAddress.toLowerCase() } },
    encounter: { reference: context.encounter },
    sent: input.sent.toISOString(),
    sender: { identifier: { system: PARTICIPANT_SYSTEM, value: input.participant.participantId } },
    // sha256(salt || content), the salt sealed with the content: the leaf proves the content once it is shown.
    extension: [{ url: DIGEST_EXTENSION, valueString: input.digest }],
    payload: [{ contentAttachment: { contentType: input.contentType, size: String(input.size), url: `${CONSULT_MESSAGE_SYSTEM}:${input.messageId}` } }],
  };
}

function sealContent(key: Buffer, messageId: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyLabel(messageId)));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function openContent(key: Buffer, messageId: string, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  decipher.setAAD(Buffer.from(keyLabel(messageId)));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

function keyLabel(messageId: string): string {
  return `careledger-consult-message:${messageId}`;
}

type Outcome = ConstructorParameters<typeof OperationOutcomeError>[0];

function refused(base: Outcome, text: string): OperationOutcomeError {
  const code = base.issue?.[0]?.code ?? 'processing';
  return new OperationOutcomeError({ ...base, issue: [{ severity: 'error', code, details: { text } }] });
}

function unsupportedType(): Outcome {
  return { resourceType: 'OperationOutcome', id: 'unsupported-media-type', issue: [{ severity: 'error', code: 'not-supported' }] };
}

function tooLarge(): Outcome {
  return { resourceType: 'OperationOutcome', id: 'payload-too-large', issue: [{ severity: 'error', code: 'too-costly' }] };
}
