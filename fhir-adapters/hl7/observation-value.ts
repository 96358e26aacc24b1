// OBX-5 by its value type (OBX-2) -> Observation.value[x], and OBX-7 -> referenceRange, after
// the IG's OBX[Observation] map. ED becomes valueAttachment; XTN, which R5's value[x] has no
// ContactPoint for, becomes valueString (the number) with the whole ContactPoint in the
// extension OBX_CONTACT_POINT. Types without a faithful FHIR form (RP, CP, ...) throw, and the
// Observation is kept with a dataAbsentReason and a warning in the ACK.

import { UCUM } from './code-systems.js';
import { cweToCodeableConcept, edToAttachment, xtnToContactPoint } from './datatypes.js';
import { readDateTime, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
import type { V2Segment } from './v2-segment.js';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const TIME = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?([+-]\d{4})?$/;

/** SN comparators that FHIR Quantity.comparator can carry ('=' is no comparator at all). */
const COMPARATORS = new Set(['<', '<=', '>=', '>']);

export interface QuantityUnit {
  unit?: string;
  system?: string;
  code?: string;
}

/** OBX-6: a unit is coded UCUM only when the sender says so (CWE.3 = UCUM); otherwise its text
 * is kept as `unit` alone, since FHIR requires a system beside any unit code. */
function unitOf(obx: V2Segment): QuantityUnit {
  const units = obx.first(6);
  const code = units.get(1);
  const text = units.get(2) || code;
  if (!text) return {};
  if (code && units.get(3).toUpperCase() === 'UCUM') return { unit: text, system: UCUM, code };
  return { unit: text };
}

function parseNumber(obx: V2Segment, raw: string, field: number): number {
  if (!NUMBER.test(raw)) {
    throw new Hl7MappingError('bad-value', `${describeLocation(obx.at(field))} '${raw}' is not a number`, obx.at(field));
  }
  return Number(raw);
}

function structuredNumeric(obx: V2Segment, unit: QuantityUnit): Record<string, unknown> {
  const sn = obx.first(5);
  const comparator = sn.get(1);
  const first = sn.get(2);
  const separator = sn.get(3);
  const second = sn.get(4);
  const asText = (): Record<string, unknown> => ({ valueString: [comparator, first, separator, second].join('') });
  if (!first) return {};
  const n1 = parseNumber(obx, first, 5);
  if (!separator && !second) {
    if (comparator === '' || comparator === '=') return { valueQuantity: { value: n1, ...unit } };
    if (COMPARATORS.has(comparator)) return { valueQuantity: { value: n1, comparator, ...unit } };
    return asText();
  }
  if (!second || comparator) return asText();
  const n2 = parseNumber(obx, second, 5);
  if (separator === '-') return { valueRange: { low: { value: n1, ...unit }, high: { value: n2, ...unit } } };
  if (separator === ':' || separator === '/') return { valueRatio: { numerator: { value: n1 }, denominator: { value: n2 } } };
  return asText();
}

function time(obx: V2Segment, raw: string): string {
  const m = TIME.exec(raw);
  if (!m || Number(m[1]) > 23 || Number(m[2] ?? 0) > 59 || Number(m[3] ?? 0) > 59) {
    throw new Hl7MappingError('bad-value', `${describeLocation(obx.at(5))} '${raw}' is not a v2 time (HH[MM[SS[.S]]])`, obx.at(5));
  }
  return `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}${m[4] ? `.${m[4]}` : ''}`;
}

/** Where an XTN result (a call-back number, a contact) keeps its system and use. */
export const OBX_CONTACT_POINT = 'urn:careledger:hl7:StructureDefinition/observation-value-contact-point';

export const SUPPORTED_VALUE_TYPES = new Set(['NM', 'SN', 'ST', 'TX', 'FT', 'CE', 'CWE', 'CNE', 'DT', 'DTM', 'TS', 'TM', 'ED', 'XTN']);

/** Observation.value[x] for the OBX, or {} when OBX-5 is empty. */
export function observationValue(ctx: MappingContext, obx: V2Segment): Record<string, unknown> {
  const values = obx.repetitions(5);
  if (values.length === 0) return {};
  const type = obx.value(2).toUpperCase();
  switch (type) {
    case 'NM':
      return { valueQuantity: { value: parseNumber(obx, values[0].get(1), 5), ...unitOf(obx) } };
    case 'SN':
      return structuredNumeric(obx, unitOf(obx));
    case 'ST':
    case 'TX':
    case 'FT':
      // Repetitions of text are lines.
      return { valueString: values.map((v) => v.wholeText()).join('\n') };
    case 'CE':
    case 'CWE':
    case 'CNE': {
      const concept = cweToCodeableConcept(ctx, values[0]);
      return concept ? { valueCodeableConcept: concept } : {};
    }
    case 'DT':
    case 'DTM':
    case 'TS': {
      const value = readDateTime(ctx, obx, 5);
      return value ? { valueDateTime: value } : {};
    }
    case 'TM':
      return { valueTime: time(obx, values[0].get(1)) };
    case 'ED':
      return { valueAttachment: edToAttachment(values[0], obx.at(5)) };
    case 'XTN': {
      const contact = xtnToContactPoint(values[0], 'work');
      return contact ? { valueString: contact.value, extension: [{ url: OBX_CONTACT_POINT, valueContactPoint: contact }] } : {};
    }
    case '':
      throw new Hl7MappingError('missing-field', `${describeLocation(obx.at(2))} (value type) is empty but OBX-5 has a value`, obx.at(2));
    default:
      throw new Hl7MappingError('bad-value', `${describeLocation(obx.at(2))} value type '${type}' is not supported (${[...SUPPORTED_VALUE_TYPES].join(', ')} are); value left out`, obx.at(2));
  }
}

const RANGE = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*-\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*$/;
const BOUND = /^\s*(<=?|>=?)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*$/;

/** OBX-7 "3.5-5.0", "<5", ">=10" -> low/high in the value's unit; anything else as text. */
export function referenceRange(obx: V2Segment): Record<string, unknown>[] | undefined {
  const raw = obx.first(7).wholeText().trim();
  if (!raw) return undefined;
  const unit = unitOf(obx);
  const range = RANGE.exec(raw);
  if (range) return [{ low: { value: Number(range[1]), ...unit }, high: { value: Number(range[2]), ...unit } }];
  const bound = BOUND.exec(raw);
  if (bound) {
    const limit = { value: Number(bound[2]), ...unit };
    return [bound[1].startsWith('<') ? { high: limit } : { low: limit }];
  }
  return [{ text: raw }];
}
