// RFC 8785 JSON Canonicalization Scheme (JCS) and the resource canonicalization every receipt
// names. The output is hashed, so any divergence from the RFC breaks every receipt; the tests
// pin the RFC's own vectors.
import { OperationOutcomeError, badRequest } from '@medplum/core';

export const CANONICALIZATION_ID = 'urn:careledger:canonicalization:jcs-rfc8785:drop-text-meta:v1';

/** Deeper nesting than any FHIR resource has; it also turns a cyclic object into a clear error
 * instead of a stack overflow. */
const MAX_DEPTH = 256;

/** Top-level elements excluded from the canonical form (FHIR's "static" idea): the narrative is
 * derived from the data and meta changes on every write without the content changing. */
const DROPPED_TOP_LEVEL = new Set(['text', 'meta']);

/** Thrown deep in the walk and re-thrown at each level with the path segment prepended, so the
 * success path pays nothing for error locations. */
class InvalidJsonValue extends Error {
  readonly segments: string[] = [];
}

/** Either half of a surrogate pair; most strings have none, which is the fast path. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function serializeString(value: string): string {
  // I-JSON (RFC 7493), which JCS requires, forbids lone surrogates: they have no UTF-8 form.
  if (ANY_SURROGATE.test(value) && LONE_SURROGATE.test(value)) {
    throw new InvalidJsonValue('string contains a lone UTF-16 surrogate (not allowed by RFC 8785 / I-JSON)');
  }
  // For well-formed strings ECMAScript's JSON.stringify escaping is exactly JCS section 3.2.2.2:
  // \" \\ \b \f \n \r \t, other controls as lower-case \u00xx, everything else literal.
  return JSON.stringify(value);
}

/** Serialized member names. FHIR uses a few hundred element names over and over, so caching
 * them saves an allocation and an escape scan per member (about a fifth of the time on a
 * Synthea Patient). Bounded in count and key length so arbitrary client keys cannot grow it. */
const MEMBER_NAME_CACHE_LIMIT = 4096;
const MEMBER_NAME_CACHE_KEY_LENGTH = 64;
const memberNames = new Map<string, string>();

function serializeMemberName(key: string): string {
  let name = memberNames.get(key);
  if (name === undefined) {
    name = serializeString(key);
    if (memberNames.size < MEMBER_NAME_CACHE_LIMIT && key.length <= MEMBER_NAME_CACHE_KEY_LENGTH) {
      memberNames.set(key, name);
    }
  }
  return name;
}

function serializeNumber(value: number): string {
  if (!Number.isFinite(value)) {
    throw new InvalidJsonValue(`number ${String(value)} has no JSON representation`);
  }
  // ECMAScript Number::toString is the JCS number format (and prints -0 as 0).
  return String(value);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function serializeArray(value: readonly unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    const item = value[i];
    if (item === undefined) {
      throw withSegment(new InvalidJsonValue('undefined array element (JSON has no undefined)'), `[${i}]`);
    }
    try {
      out += serializeValue(item, depth + 1);
    } catch (err) {
      throw withSegment(err, `[${i}]`);
    }
  }
  return out + ']';
}

/** Member names in the order JCS section 3.2.3 requires: by UTF-16 code units, which is what
 * both `<` on strings and the default sort compare. FHIR objects have a handful of members, for
 * which an in-place insertion sort is faster than Array.prototype.sort and allocates nothing. */
function sortedKeys(value: Record<string, unknown>): string[] {
  const keys = Object.keys(value);
  if (keys.length > 24) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function serializeObject(value: Record<string, unknown>, depth: number, dropped?: ReadonlySet<string>): string {
  const keys = sortedKeys(value);
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = value[key];
    // An undefined member is absent in JSON; skipping it keeps canonicalize(x) equal to
    // canonicalize(JSON.parse(JSON.stringify(x))).
    if (member === undefined || (dropped !== undefined && dropped.has(key))) continue;
    try {
      const name = serializeMemberName(key);
      out += (first ? '' : ',') + name + ':' + serializeValue(member, depth + 1);
    } catch (err) {
      throw withSegment(err, `.${key}`);
    }
    first = false;
  }
  return out + '}';
}

function serializeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value);
    case 'number':
      return serializeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new InvalidJsonValue(`nested deeper than ${MAX_DEPTH} levels (or cyclic)`);
      if (Array.isArray(value)) return serializeArray(value, depth);
      if (isPlainObject(value)) return serializeObject(value, depth);
      throw new InvalidJsonValue(`${value.constructor?.name ?? 'non-plain'} object is not a JSON value`);
    }
    default:
      throw new InvalidJsonValue(`${typeof value} is not a JSON value`);
  }
}

function withSegment(err: unknown, segment: string): unknown {
  if (err instanceof InvalidJsonValue) err.segments.unshift(segment);
  return err;
}

function toOutcomeError(err: unknown, root: string): unknown {
  if (!(err instanceof InvalidJsonValue)) return err;
  const path = root + err.segments.join('');
  return new OperationOutcomeError(badRequest(`Cannot canonicalize (RFC 8785) at ${path}: ${err.message}`, path));
}

/**
 * RFC 8785 serialization of a JSON value (as produced by JSON.parse) to a string.
 * Throws OperationOutcomeError (400) for values JSON cannot represent: non-finite numbers,
 * lone surrogates, undefined array elements, bigint, functions, non-plain objects.
 */
export function canonicalize(value: unknown): string {
  try {
    return serializeValue(value, 0);
  } catch (err) {
    throw toOutcomeError(err, '$');
  }
}

/** RFC 8785 bytes (UTF-8) of a JSON value. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

/**
 * The canonical bytes of a resource per CANONICALIZATION_ID: the top-level `text` and `meta`
 * elements are left out (nested ones are content and stay), the rest is RFC 8785 as UTF-8.
 */
export function canonicalizeResource(resource: object): Buffer {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource) || !isPlainObject(resource)) {
    throw new OperationOutcomeError(badRequest('Cannot canonicalize: a resource must be a JSON object'));
  }
  const type = resource.resourceType;
  const root = typeof type === 'string' ? type : '$';
  try {
    return Buffer.from(serializeObject(resource, 0, DROPPED_TOP_LEVEL), 'utf8');
  } catch (err) {
    throw toOutcomeError(err, root);
  }
}
