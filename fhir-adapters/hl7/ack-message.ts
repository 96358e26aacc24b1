// Original-mode acknowledgment (HL7 v2.5.1 chapter 2.9.2): MSH with the sender and receiver of
// the original swapped, MSA-1 the acknowledgment code, MSA-2 the original MSH-10, MSA-3 a short
// reason, and for AE/AR an ERR segment with the location (ERR-2), the table 0357 condition
// (ERR-3), severity (ERR-4 E) and the reason for a human (ERR-8); then one ERR of severity W per
// field that was left out (an AA may carry these: the message was stored without them).
// @medplum/core's Hl7Message.buildAck is not used: its MSH-10 is the current millisecond (two
// ACKs in one millisecond collide), it hard-codes MSH-11 and has no room for MSA-3 text.

import { formatHl7DateTime, Hl7Context, Hl7Message, Hl7Segment } from '@medplum/core';
import { conditionOf, type Hl7ErrorLocation, type Hl7Warning } from './mapping-error.js';

export type AckCode = 'AA' | 'AE' | 'AR';

export interface AckContent {
  code: AckCode;
  /** Why, for MSA-3 and ERR-8. */
  text?: string;
  condition?: { code: string; display: string };
  location?: Hl7ErrorLocation;
  /** Fields left out of what was stored. */
  warnings?: readonly Hl7Warning[];
}

export interface AckIdentity {
  /** MSH-3 / MSH-4 of the ACK when the original did not name a receiver (or could not be read). */
  application: string;
  facility: string;
}

/** MSA-3 is an ST of 80 characters in v2.5.1; ERR-8 a TX of 250. */
const MSA3_MAX = 80;
const ERR8_MAX = 250;

let ackSequence = 0;
const ackPrefix = `${process.pid.toString(36)}${Date.now().toString(36)}`.slice(-8);

/** Unique per process and short enough for MSH-10 (ST 20 in v2.5.1). */
function nextControlId(): string {
  ackSequence = (ackSequence + 1) % 36 ** 8;
  return `A${ackPrefix}${ackSequence.toString(36)}`.slice(0, 20);
}

function escapeText(text: string, context: Hl7Context, max: number): string {
  const esc = context.escapeCharacter;
  const flat = text.replace(/[\r\n]+/g, ' ').slice(0, max);
  let out = '';
  for (const ch of flat) {
    if (ch === esc) out += `${esc}E${esc}`;
    else if (ch === context.fieldSeparator) out += `${esc}F${esc}`;
    else if (ch === context.componentSeparator) out += `${esc}S${esc}`;
    else if (ch === context.subcomponentSeparator) out += `${esc}T${esc}`;
    else if (ch === context.repetitionSeparator) out += `${esc}R${esc}`;
    else out += ch;
  }
  return out;
}

/**
 * Builds the ACK for `original` (undefined when the payload was not an HL7 message at all: then
 * MSA-2 is empty, since there is no control id to echo). `charset` is echoed in MSH-18.
 */
export function buildAck(original: Hl7Message | undefined, content: AckContent, identity: AckIdentity, charset: string, now: Date): Hl7Message {
  const context = original?.context ?? new Hl7Context();
  const msh = original?.getSegment('MSH');
  const field = (n: number): string => msh?.getField(n)?.toString() ?? '';
  const trigger = msh?.getField(9)?.getComponent(2) ?? '';
  const warnings = content.warnings ?? [];
  const accepted = warnings.length === 0 ? 'OK' : `accepted; ${warnings.length} field(s) left out, see ERR`;
  const text = content.text ?? (content.code === 'AA' ? accepted : '');

  const header = new Hl7Segment(
    [
      'MSH',
      context.getMsh2(),
      field(5) || identity.application,
      field(6) || identity.facility,
      field(3),
      field(4),
      formatHl7DateTime(now),
      '',
      trigger ? `ACK^${trigger}^ACK` : 'ACK',
      nextControlId(),
      field(11) || 'P',
      field(12) || '2.5.1',
      '', '', '', '', '',
      charset,
    ],
    context,
  );
  const segments = [header, new Hl7Segment(['MSA', content.code, field(10), escapeText(text, context, MSA3_MAX)], context)];

  const errSegment = (severity: 'E' | 'W', condition: { code: string; display: string }, reason: string, location?: Hl7ErrorLocation): Hl7Segment => {
    const erl = location
      ? [location.segment, location.sequence ?? '', location.field ?? '', location.field ? 1 : '', location.component ?? ''].join(context.componentSeparator)
      : '';
    const err = new Hl7Segment(['ERR'], context);
    err.setField(2, erl);
    err.setField(3, [condition.code, condition.display, 'HL70357'].join(context.componentSeparator));
    err.setField(4, severity);
    err.setField(8, escapeText(reason, context, ERR8_MAX));
    return err;
  };
  if (content.code !== 'AA') {
    segments.push(errSegment('E', content.condition ?? { code: '207', display: 'Application internal error' }, text, content.location));
  }
  for (const warning of warnings) segments.push(errSegment('W', conditionOf(warning.code), warning.text, warning.location));
  return new Hl7Message(segments, context);
}
