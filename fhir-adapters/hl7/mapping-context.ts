// What every segment mapper needs besides the segment: id derivation, code and identifier
// system resolution, the sender's time zone, and date readers that fail with a located error.

import type { CodeSystemResolver } from './code-systems.js';
import { Hl7MappingError, describeLocation, warningOf, type Hl7ErrorLocation, type Hl7MappingErrorCode, type Hl7Warning } from './mapping-error.js';
import type { ResourceIdDeriver } from './resource-ids.js';
import type { V2Segment } from './v2-segment.js';
import { formatFhirDate, formatFhirDateTime, formatFhirInstant, parseV2DateTime, type V2DateTime, type ZoneOffsetResolver } from './v2-datetime.js';

/** HD: the assigning authority of a CX / EI (namespace id, universal id, universal id type). */
export interface V2Authority {
  namespace: string;
  universalId: string;
  universalIdType: string;
}

export type IdentifierSystemResolver = (authority: V2Authority) => string | undefined;

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/** `configured` maps an authority's namespace id or universal id to a system URI. Defaults: an
 * ISO OID becomes urn:oid:..., any other authority urn:careledger:hl7:<authority>. Mapping two
 * authorities to one URI makes them the same identifier space (and the same Patient id). */
export function identifierSystemResolver(configured: Readonly<Record<string, string>> = {}): IdentifierSystemResolver {
  return ({ namespace, universalId, universalIdType }) => {
    const byName = (namespace && configured[namespace]) || (universalId && configured[universalId]);
    if (byName) return byName;
    if (universalId && OID.test(universalId) && (universalIdType === 'ISO' || universalIdType === '')) return `urn:oid:${universalId}`;
    const authority = namespace || universalId;
    return authority ? `urn:careledger:hl7:${encodeURIComponent(authority)}` : undefined;
  };
}

export interface MappingContext {
  ids: ResourceIdDeriver;
  codeSystem: CodeSystemResolver;
  identifierSystem: IdentifierSystemResolver;
  zoneOffset: ZoneOffsetResolver;
  /** Fields of the message being mapped that could not be placed (one list per message). */
  warnings: Hl7Warning[];
}

/**
 * Maps an optional field: a field that cannot be read becomes a warning and `undefined`, so the
 * rest of the message is kept. Keys (PID-3, OBX-3, an order number) are read without this: a
 * resource that cannot be identified cannot be stored.
 */
export function optionalField<T>(ctx: MappingContext, map: () => T): T | undefined {
  try {
    return map();
  } catch (err) {
    if (!(err instanceof Hl7MappingError)) throw err;
    ctx.warnings.push(warningOf(err));
    return undefined;
  }
}

/** Records a field the mapper read but has nowhere to put. */
export function warnUnplaced(ctx: MappingContext, location: Hl7ErrorLocation, text: string, code: Hl7MappingErrorCode = 'bad-value'): void {
  ctx.warnings.push({ code, text, location });
}

function parseAt(segment: V2Segment, field: number, component: number): V2DateTime | undefined {
  const raw = segment.value(field, component);
  if (!raw) return undefined;
  const parsed = parseV2DateTime(raw);
  if (!parsed) {
    const location = segment.at(field, component > 1 ? component : undefined);
    throw new Hl7MappingError('bad-value', `${describeLocation(location)} '${raw}' is not a valid v2 date/time (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ])`, location);
  }
  return parsed;
}

export function readDate(segment: V2Segment, field: number, component = 1): string | undefined {
  const parsed = parseAt(segment, field, component);
  return parsed && formatFhirDate(parsed);
}

export function readDateTime(ctx: MappingContext, segment: V2Segment, field: number, component = 1): string | undefined {
  const parsed = parseAt(segment, field, component);
  return parsed && formatFhirDateTime(parsed, ctx.zoneOffset);
}

export function readInstant(ctx: MappingContext, segment: V2Segment, field: number, component = 1): string | undefined {
  const parsed = parseAt(segment, field, component);
  return parsed && formatFhirInstant(parsed, ctx.zoneOffset);
}

/** Parses a time inside a date/time field and says whether it had a time part. */
export function readV2DateTime(segment: V2Segment, field: number): V2DateTime | undefined {
  return parseAt(segment, field, 1);
}
