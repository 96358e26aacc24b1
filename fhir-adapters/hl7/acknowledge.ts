// One MLLP payload in, one ACK out: decode (MSH-18), parse, map, hand the resources to the
// intake as one atomic submission, and answer AA only once the intake has resolved (by then
// everything is durable). Every failure answers AE or AR and leaves nothing behind, because
// nothing reaches the intake before mapping has succeeded for the whole message.

import { Hl7Message, OperationOutcomeError, getStatus } from '@medplum/core';
import type { IntakeItemResult, IntakePort } from '../../gateway/intake/port.js';
import { buildAck, type AckCode, type AckContent, type AckIdentity } from './ack-message.js';
import { decodePayload, encodePayload, UnsupportedCharset } from './charset.js';
import type { Hl7Mapper } from './map-message.js';
import { Hl7MappingError } from './mapping-error.js';

/** The slice of a pino logger this needs; fields never carry message content (PHI). */
export interface Hl7Log {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface AcknowledgeDeps {
  intake: IntakePort;
  mapper: Hl7Mapper;
  /** HL7 table 0211 value used when MSH-18 is empty. */
  defaultCharset: string;
  identity: AckIdentity;
  log?: Hl7Log;
}

export interface Acknowledgment {
  code: AckCode;
  /** The ACK's bytes, without MLLP framing. */
  payload: Buffer;
}

const INTAKE_SOURCE = 'hl7v2';

/** The error diagnostics of every rejected item. Informational issues (an atomic submission
 * saying an item was held back for a neighbour's fault) are left out when errors exist. */
function rejectionText(results: IntakeItemResult[]): string {
  type Issue = { severity?: string; diagnostics?: string; details?: { text?: string } };
  const failed = results.filter((r): r is Extract<IntakeItemResult, { ok: false }> => !r.ok);
  const issues = failed.flatMap((r) => r.outcome.issue as Issue[]);
  const errors = issues.filter((i) => i.severity === undefined || i.severity === 'error' || i.severity === 'fatal');
  const texts = [...new Set((errors.length > 0 ? errors : issues).map((i) => i.diagnostics ?? i.details?.text).filter(Boolean))];
  return texts.join('; ') || `rejected by the node (status ${failed[0]?.status ?? 'unknown'})`;
}

export async function acknowledge(bytes: Buffer, deps: AcknowledgeDeps): Promise<Acknowledgment> {
  let charset = '';
  let message: Hl7Message | undefined;
  const answer = (content: AckContent): Acknowledgment => {
    const ack = buildAck(message, content, deps.identity, charset, new Date());
    return { code: content.code, payload: encodePayload(ack.toString(), charset) };
  };

  try {
    const decoded = decodePayload(bytes, deps.defaultCharset);
    charset = decoded.charset;
    message = Hl7Message.parse(decoded.text);
  } catch (err) {
    // The header is ASCII in every charset: read it from a latin1 view so the AR still echoes
    // MSH-10 in MSA-2 and the sender can match it to the message it sent.
    message = readableHeader(bytes);
    const text = err instanceof UnsupportedCharset ? err.message : 'payload is not an HL7 v2 message (it does not start with MSH)';
    deps.log?.warn({ reason: err instanceof UnsupportedCharset ? 'charset' : 'not-hl7', bytes: bytes.length }, 'HL7 v2 payload rejected');
    return answer({ code: 'AR', text, condition: { code: '102', display: 'Data type error' }, location: { segment: 'MSH', sequence: 1, field: err instanceof UnsupportedCharset ? 18 : undefined } });
  }

  let mapped;
  try {
    mapped = deps.mapper(message);
  } catch (err) {
    if (err instanceof Hl7MappingError) {
      deps.log?.warn({ code: err.code, location: err.location, ack: err.ackCode }, 'HL7 v2 message not mapped');
      return answer({ code: err.ackCode, text: err.message, condition: err.conditionCode, location: err.location });
    }
    deps.log?.error({ err: (err as Error).name }, 'HL7 v2 mapping failed unexpectedly');
    return answer({ code: 'AR', text: 'internal error while mapping the message; resend it later' });
  }

  let results: IntakeItemResult[];
  try {
    results = await deps.intake.submit(mapped.resources.map((resource) => ({ resource })), { source: INTAKE_SOURCE, atomic: true });
  } catch (err) {
    // The node's store refuses an atomic submission as a whole by throwing the outcome of the
    // item at fault: that is about the content (AE), unless the outcome says the node failed.
    if (err instanceof OperationOutcomeError && getStatus(err.outcome) < 500) {
      deps.log?.warn({ controlId: mapped.controlId, messageType: mapped.messageType }, 'HL7 v2 message rejected by the node');
      const outcome = { resourceType: 'OperationOutcome' as const, issue: err.outcome.issue ?? [] };
      return answer({ code: 'AE', text: rejectionText([{ ok: false, status: getStatus(err.outcome), outcome }]), condition: { code: '207', display: 'Application internal error' } });
    }
    // v2.5.1 2.9.2.2: a message refused for reasons unrelated to its content (system down,
    // internal error) is rejected (AR), telling the sender to resend it unchanged later.
    deps.log?.error({ controlId: mapped.controlId, messageType: mapped.messageType, err: (err as Error).message }, 'HL7 v2 message not stored');
    return answer({ code: 'AR', text: 'the node could not store the message; resend it later' });
  }

  if (results.length !== mapped.resources.length || results.some((r) => !r.ok)) {
    deps.log?.warn({ controlId: mapped.controlId, messageType: mapped.messageType }, 'HL7 v2 message rejected by the node');
    return answer({ code: 'AE', text: rejectionText(results), condition: { code: '207', display: 'Application internal error' } });
  }
  if (mapped.warnings.length > 0) {
    deps.log?.warn({ controlId: mapped.controlId, messageType: mapped.messageType, leftOut: mapped.warnings.map((w) => w.location) }, 'HL7 v2 message stored with fields left out');
  }
  return answer({ code: 'AA', warnings: mapped.warnings });
}

function readableHeader(bytes: Buffer): Hl7Message | undefined {
  const text = bytes.toString('latin1');
  if (!text.startsWith('MSH')) return undefined;
  try {
    return Hl7Message.parse(text.slice(0, text.search(/[\r\n]|$/)));
  } catch {
    return undefined;
  }
}
