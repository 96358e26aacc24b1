// Why a v2 message did not become FHIR. The listener turns one of these into the ACK: `ackCode`
// into MSA-1, the HL7 table 0357 code into ERR-3, `location` into ERR-2 and the message into
// MSA-3 / ERR-8, so the interface engine's operator sees which field to fix.

export type Hl7MappingErrorCode =
  | 'unsupported-message-type'
  | 'unsupported-version'
  | 'bad-header'
  | 'missing-segment'
  | 'missing-field'
  | 'bad-value'
  | 'duplicate-key';

/** ERR-2 (ERL): the segment, its occurrence in the message (1-based) and the field. */
export interface Hl7ErrorLocation {
  segment: string;
  sequence?: number;
  field?: number;
  component?: number;
}

/** HL7 table 0357 (message error condition codes). */
const TABLE_0357: Record<Hl7MappingErrorCode, { code: string; display: string }> = {
  'unsupported-message-type': { code: '200', display: 'Unsupported message type' },
  'unsupported-version': { code: '203', display: 'Unsupported version id' },
  'bad-header': { code: '101', display: 'Required field missing' },
  'missing-segment': { code: '100', display: 'Segment sequence error' },
  'missing-field': { code: '101', display: 'Required field missing' },
  'bad-value': { code: '102', display: 'Data type error' },
  'duplicate-key': { code: '205', display: 'Duplicate key identifier' },
};

/** Header problems are rejected (AR: the receiver will not take this kind of message as it is);
 * content problems are errors (AE: this message has to be corrected before it is resent). This
 * is the split HL7 v2.5.1 chapter 2.9.2 draws for original-mode acknowledgments. */
const REJECTED: ReadonlySet<Hl7MappingErrorCode> = new Set(['unsupported-message-type', 'unsupported-version', 'bad-header']);

export class Hl7MappingError extends Error {
  override readonly name = 'Hl7MappingError';

  constructor(
    readonly code: Hl7MappingErrorCode,
    message: string,
    readonly location?: Hl7ErrorLocation,
  ) {
    super(message);
  }

  get ackCode(): 'AE' | 'AR' {
    return REJECTED.has(this.code) ? 'AR' : 'AE';
  }

  get conditionCode(): { code: string; display: string } {
    return TABLE_0357[this.code];
  }
}

/** A field the mapper could not place. The message is still stored (without that field) and
 * acknowledged AA with one ERR segment of severity W per warning: a v2 sender resends an AE'd
 * message only after a human fixed it, so rejecting a whole admission or result for one
 * optional field loses clinical data that was otherwise sound. */
export interface Hl7Warning {
  code: Hl7MappingErrorCode;
  text: string;
  location?: Hl7ErrorLocation;
}

export function warningOf(err: Hl7MappingError): Hl7Warning {
  return { code: err.code, text: err.message, location: err.location };
}

export function conditionOf(code: Hl7MappingErrorCode): { code: string; display: string } {
  return TABLE_0357[code];
}

/** "PID-3", "OBX[2]-5": how a location reads in an error message. */
export function describeLocation(location: Hl7ErrorLocation): string {
  const occurrence = location.sequence && location.sequence > 1 ? `[${location.sequence}]` : '';
  const field = location.field ? `-${location.field}` : '';
  const component = location.component ? `.${location.component}` : '';
  return `${location.segment}${occurrence}${field}${component}`;
}
