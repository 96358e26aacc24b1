import type { CompiledType } from '../validation/validation-model.js';

/** Marker: the value converts, but only by dropping precision (dateTime -> date). */
export const LOSSY = Symbol('lossy');

/**
 * Primitive R4 -> R5 conversion by JSON representation: same kind copies (code -> string,
 * string -> markdown, uri -> url...), numbers become strings where R5 types them so
 * (unsignedInt -> integer64, positiveInt -> string), dateTime/instant narrow to date.
 * With `force`, a lossy conversion returns the narrowed value instead of LOSSY.
 */
export function convertPrimitive(value: unknown, from: string, to: CompiledType, force = false): unknown {
  if (to.name === 'date' && (from === 'dateTime' || from === 'instant') && typeof value === 'string') {
    if (value.length <= 10) return value;
    return force ? value.slice(0, 10) : LOSSY;
  }
  const kind = to.json ?? 'string';
  if (typeof value === kind) return value;
  if (typeof value === 'number' && kind === 'string') return String(value);
  return undefined;
}

/** Builds an R5 complex value from an R4 primitive, or undefined when no lossless form exists. */
export function complexFromPrimitive(
  value: unknown,
  from: string,
  to: string,
  system: string | undefined,
): Record<string, unknown> | undefined {
  const coding = (): Record<string, unknown> => (system ? { system, code: value } : { code: value });
  if (from === 'code') {
    if (to === 'CodeableConcept') return { coding: [coding()] };
    if (to === 'Coding') return coding();
    if (to === 'CodeableReference') return { concept: { coding: [coding()] } };
  }
  if (typeof value !== 'string') return undefined;
  if (to === 'Annotation') return { text: value };
  if (to === 'CodeableConcept') return { text: value };
  if (to === 'Identifier') return { value };
  if (to === 'Reference') return { display: value };
  if (to === 'CodeableReference') return { concept: { text: value } };
  return undefined;
}
