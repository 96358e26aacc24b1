// Reading v2 values the way the standard defines them. @medplum/core splits a message into
// fields, repetitions and components but leaves escape sequences (\F\, \S\, \T\, \R\, \E\,
// \Xhh\, \.br\) encoded and throws on a repetition that is not there; every mapper reads
// through this instead so a value is always the decoded text the sender meant.

import type { Hl7Context, Hl7Segment } from '@medplum/core';
import type { Hl7ErrorLocation } from './mapping-error.js';

/** v2's explicit null (two double quotes) means "no value"; with full-snapshot upserts that is
 * the same as an absent value. */
const EXPLICIT_NULL = '""';

function decodeHex(hex: string): string {
  if (hex.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(hex)) return '';
  const bytes = Buffer.from(hex, 'hex');
  const utf8 = bytes.toString('utf8');
  // Senders put either UTF-8 or single-byte text in \X..\; U+FFFD means it was not UTF-8.
  return utf8.includes('\uFFFD') ? bytes.toString('latin1') : utf8;
}

export function unescapeV2(text: string, context: Hl7Context): string {
  const esc = context.escapeCharacter;
  if (!esc || !text.includes(esc)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== esc) {
      out += ch;
      i++;
      continue;
    }
    const end = text.indexOf(esc, i + 1);
    if (end === -1) {
      out += text.slice(i);
      break;
    }
    const sequence = text.slice(i + 1, end);
    i = end + 1;
    switch (sequence) {
      case 'F': out += context.fieldSeparator; break;
      case 'S': out += context.componentSeparator; break;
      case 'T': out += context.subcomponentSeparator; break;
      case 'R': out += context.repetitionSeparator; break;
      case 'E': out += esc; break;
      case '.br': out += '\n'; break;
      default:
        if (sequence.startsWith('X')) out += decodeHex(sequence.slice(1));
        // Highlighting (\H\ \N\), character-set switches (\C..\ \M..\) and formatting commands
        // (\.sp\ \.in\ ...) carry no text.
        break;
    }
  }
  return out;
}

/** One repetition of a field: its components and their subcomponents, decoded on read. */
export class V2Composite {
  constructor(
    private readonly components: readonly string[],
    private readonly context: Hl7Context,
  ) {}

  /** Component `component`, subcomponent `subcomponent` (both 1-based), decoded and trimmed. */
  get(component = 1, subcomponent = 1): string {
    const raw = this.components[component - 1] ?? '';
    const part = raw.split(this.context.subcomponentSeparator)[subcomponent - 1] ?? '';
    const value = unescapeV2(part, this.context).trim();
    return value === EXPLICIT_NULL ? '' : value;
  }

  /** The whole component with its subcomponents joined as text, for free-text data types. */
  text(component = 1): string {
    const raw = this.components[component - 1] ?? '';
    const value = raw
      .split(this.context.subcomponentSeparator)
      .map((part) => unescapeV2(part, this.context))
      .join(this.context.subcomponentSeparator);
    return value === EXPLICIT_NULL ? '' : value;
  }

  /** Every component, decoded and joined back with the component separator: free text (ST,
   * TX, FT) that a sender did not escape still reads as written. */
  wholeText(): string {
    const separator = this.context.componentSeparator;
    const value = this.components.map((_, i) => this.text(i + 1)).join(separator);
    return value === EXPLICIT_NULL ? '' : value;
  }

  isEmpty(): boolean {
    return this.components.every((c) => c.trim() === '' || c.trim() === EXPLICIT_NULL);
  }
}

const EMPTY_COMPONENTS: readonly string[] = [];

/** A segment together with its place in the message, so errors can say "OBX[3]-5". */
export class V2Segment {
  constructor(
    readonly segment: Hl7Segment,
    /** 1-based occurrence of this segment name in the message. */
    readonly sequence: number,
  ) {}

  get name(): string {
    return this.segment.name;
  }

  /** The repetitions of a field that carry a value. */
  repetitions(field: number): V2Composite[] {
    const f = this.segment.getField(field);
    if (!f) return [];
    return f.components
      .map((components) => new V2Composite(components, this.segment.context))
      .filter((composite) => !composite.isEmpty());
  }

  first(field: number): V2Composite {
    return this.repetitions(field)[0] ?? new V2Composite(EMPTY_COMPONENTS, this.segment.context);
  }

  value(field: number, component = 1, subcomponent = 1): string {
    return this.first(field).get(component, subcomponent);
  }

  at(field: number, component?: number): Hl7ErrorLocation {
    return { segment: this.name, sequence: this.sequence, field, component };
  }
}

/** Wraps every segment of a message with its occurrence number. */
export function readSegments(segments: readonly Hl7Segment[]): V2Segment[] {
  const seen = new Map<string, number>();
  return segments.map((segment) => {
    const sequence = (seen.get(segment.name) ?? 0) + 1;
    seen.set(segment.name, sequence);
    return new V2Segment(segment, sequence);
  });
}
