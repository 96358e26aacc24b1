// What the search index holds for a resource, extracted through the R5 search parameter catalog
// (search-catalog.ts). Nothing that names a patient or describes their care is held in the clear:
//   token (identifier, code, status, category, gender...)  one row: keyed hashes of the code and of system|code
//                                                          (identifiers also the system alone)
//   string (name, family, given)                           keyed hashes of each normalised prefix and of the exact value
//   birthdate                                              keyed hashes of its calendar buckets (blind-date-buckets.ts)
//   date (clinical: effective, period, occurrence...)      the instant range in the clear (range search needs order)
//   quantity (value-quantity)                              the number in the clear, its unit as a keyed hash
//   reference (subject, patient, encounter, target)        `Type/id` in the clear, as before (`patient` once, as
//                                                          `subject`, where R5 defines it as subject's Patient)
// The key is derived from the node's master key; without it the hashes only show which resources
// share a value. docs/search.md says what someone holding the database file learns.

import { createHash, createHmac, type Hash } from 'node:crypto';
import { dateBucketKeys } from './blind-date-buckets.js';
import { r5SearchCatalog, selectAll, type CatalogParam, type SearchCatalog } from './search-catalog.js';
import { dateRange, EARLIEST, LATEST, MAX_STRING_PREFIX, normalizeString } from './search-values.js';
import type { FhirResource } from './service.js';

export type IndexEntry =
  /** `qual` narrows a token's code: the keyed hash of system|code, '' without a system and on other rows. */
  | { param: string; value: string; qual: string }
  | { param: string; low: string; high: string }
  | { param: string; number: number; unitSystem: string; unitCode: string };

const IDENTIFIER = 'identifier';

/** Date parameters indexed as blind buckets rather than clear ranges: they identify a person. */
export const BLIND_DATE_CODES: ReadonlySet<string> = new Set(['birthdate']);

/** Reference elements that place a resource in a patient's compartment, by R5 element name. */
const PATIENT_REFERENCE_ELEMENTS = ['subject', 'patient', 'beneficiary'] as const;

interface TokenValue {
  system?: string;
  code: string;
}

/**
 * A reference parameter answered from another one's rows: R5 defines Observation's `patient` as
 * `Observation.subject.where(resolve() is Patient)`, the `subject` rows that start with `Patient/`.
 * Indexing both would write every patient reference twice.
 */
export interface ReferenceAlias {
  code: string;
  prefix: string;
}

/** Keyed hashes remembered: codes, systems and statuses repeat across nearly every write. */
const BLIND_CACHE_SIZE = 50_000;

export class SearchIndexer {
  // HMAC-SHA256 with its keyed inner and outer states computed once and copied per value: the
  // same function as createHmac, at a third of its cost, which intake pays for every index row.
  private readonly inner: Hash;
  private readonly outer: Hash;
  private readonly cache = new Map<string, string>();
  private readonly aliases = new Map<string, ReadonlyMap<string, ReferenceAlias>>();
  private readonly fields = new Map<string, ReadonlySet<string>>();

  /** The key of the keyed hashes, derived from the master key (handed to the index writer thread). */
  readonly blindKey: Buffer;

  /** `options.derived`: `key` is already the blind-index key (`blindKey` of another indexer). */
  constructor(
    key: Buffer,
    readonly catalog: SearchCatalog = r5SearchCatalog(),
    options: { derived?: boolean } = {},
  ) {
    this.blindKey = options.derived ? Buffer.from(key) : createHmac('sha256', key).update('careledger-blind-index-v1').digest();
    const padded = Buffer.alloc(64);
    this.blindKey.copy(padded);
    this.inner = createHash('sha256').update(padded.map((byte) => byte ^ 0x36));
    this.outer = createHash('sha256').update(padded.map((byte) => byte ^ 0x5c));
  }

  entries(resource: FhirResource): IndexEntry[] {
    const out: IndexEntry[] = [];
    const aliases = this.aliasesOf(resource.resourceType);
    for (const param of this.catalog.forType(resource.resourceType).values()) {
      if (aliases.has(param.code)) continue;
      const values = selectAll(resource, param);
      if (values.length > 0) this.add(resource.resourceType, param, values, out);
    }
    return dedupe(out);
  }

  /**
   * The resource cut to the elements its parameters read (the first element of each path): what
   * the index writer thread is sent (index-writer.ts). `entries` gives it the same rows as the
   * whole resource; a narrative or an 8 MB note is not copied to the thread.
   */
  indexedPart(resource: FhirResource): FhirResource {
    const type = resource.resourceType;
    let fields = this.fields.get(type);
    if (!fields) {
      const names = new Set(['id']);
      for (const param of this.catalog.forType(type).values()) {
        for (const path of param.paths) {
          const first = path[0];
          if (first?.kind === 'child') names.add(first.name);
          else if (first?.kind === 'choice') names.add(first.name + first.suffix);
        }
      }
      this.fields.set(type, names);
      fields = names;
    }
    const part: Record<string, unknown> = { resourceType: type };
    for (const key in resource) if (fields.has(key)) part[key] = (resource as Record<string, unknown>)[key];
    return part as FhirResource;
  }

  /** The parameter whose rows answer `code` on `type`, when `code` is not indexed itself. */
  aliasOf(type: string, code: string): ReferenceAlias | undefined {
    return this.aliasesOf(type).get(code);
  }

  private aliasesOf(type: string): ReadonlyMap<string, ReferenceAlias> {
    let aliases = this.aliases.get(type);
    if (!aliases) {
      aliases = referenceAliases(this.catalog.forType(type));
      this.aliases.set(type, aliases);
    }
    return aliases;
  }

  /** The keyed hash (128 bits) the index holds for an input; the query side hashes its values the same way. */
  blind(input: string): string {
    let hash = this.cache.get(input);
    if (hash === undefined) {
      const inner = this.inner.copy().update(input).digest();
      hash = this.outer.copy().update(inner).digest().subarray(0, 16).toString('base64url');
      if (this.cache.size >= BLIND_CACHE_SIZE) this.cache.clear();
      this.cache.set(input, hash);
    }
    return hash;
  }

  private add(type: string, param: CatalogParam, values: unknown[], out: IndexEntry[]): void {
    const code = param.code;
    switch (param.type) {
      case 'token':
        // Every row costs intake time, so a token is one row that answers `code`, `system|code`
        // and `|code` (qual '': no system, as on every status and gender); `system|` is a second
        // row on identifiers only, where "any MRN" is a real question (search-engine.ts refuses it
        // elsewhere rather than answer it wrongly).
        for (const token of values.flatMap(tokenValues)) {
          const qual = token.system ? this.blind(`sys|${token.system}|${token.code}`) : '';
          out.push({ param: code, value: this.blind(`any|${token.code}`), qual });
          if (code === IDENTIFIER && token.system) out.push({ param: code, value: this.blind(`sysonly|${token.system}`), qual: '' });
        }
        return;
      case 'string': {
        // A name's family and given parts are indexed once, under family and given; `name`
        // searches those rows too (stringSearchCodes), which saves a Patient a third of its rows.
        const skip = code === 'name' && stringSearchCodes(this.catalog, type, code).length > 1 ? SPLIT_NAME_PARTS : NO_PARTS;
        for (const text of values.flatMap((value) => stringParts(value, skip))) {
          out.push({ param: code, value: this.blind(`x|${text}`), qual: '' });
          const normalized = normalizeString(text).slice(0, MAX_STRING_PREFIX);
          for (let length = 1; length <= normalized.length; length++) {
            out.push({ param: code, value: this.blind(`p|${normalized.slice(0, length)}`), qual: '' });
          }
        }
        return;
      }
      case 'date':
        for (const value of values) {
          if (BLIND_DATE_CODES.has(code)) {
            if (typeof value === 'string') for (const key of dateBucketKeys(value)) out.push({ param: code, value: this.blind(key), qual: '' });
          } else {
            const range = clearDateRange(value);
            if (range) out.push({ param: code, ...range });
          }
        }
        return;
      case 'quantity':
        for (const value of values as Array<{ value?: unknown; system?: string; code?: string; unit?: string }>) {
          if (typeof value?.value !== 'number') continue;
          const unit = value.code ?? value.unit ?? '';
          out.push({ param: code, number: value.value, unitSystem: this.blind(`q|${value.system ?? ''}|${unit}`), unitCode: this.blind(`q||${unit}`) });
        }
        return;
      case 'reference':
        for (const value of values) {
          const reference = referenceOf(value);
          if (reference) out.push({ param: code, value: stripHistory(reference), qual: '' });
        }
    }
  }
}

/** Reference parameters whose one path is another reference parameter's path narrowed by `resolve() is X`. */
function referenceAliases(params: ReadonlyMap<string, CatalogParam>): ReadonlyMap<string, ReferenceAlias> {
  const aliases = new Map<string, ReferenceAlias>();
  for (const param of params.values()) {
    const last = param.paths.length === 1 ? param.paths[0]!.at(-1) : undefined;
    if (param.type !== 'reference' || last?.kind !== 'resolve-is') continue;
    const narrowed = JSON.stringify(param.paths[0]!.slice(0, -1));
    for (const other of params.values()) {
      if (other !== param && other.type === 'reference' && other.paths.length === 1 && JSON.stringify(other.paths[0]) === narrowed) {
        aliases.set(param.code, { code: other.code, prefix: `${last.type}/` });
        break;
      }
    }
  }
  return aliases;
}

function tokenValues(value: unknown): TokenValue[] {
  if (typeof value === 'string') return [{ code: value }];
  if (typeof value === 'boolean') return [{ code: String(value) }];
  if (!value || typeof value !== 'object') return [];
  const object = value as { system?: unknown; value?: unknown; code?: unknown; coding?: unknown; concept?: unknown };
  const system = typeof object.system === 'string' ? object.system : undefined;
  if (typeof object.value === 'string') return [{ system, code: object.value }];
  if (typeof object.code === 'string') return [{ system, code: object.code }];
  if (Array.isArray(object.coding)) return object.coding.flatMap(tokenValues);
  if (object.concept) return tokenValues(object.concept);
  return [];
}

const NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'] as const;
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'] as const;

const SPLIT_NAME_PARTS: ReadonlySet<string> = new Set(['family', 'given']);
const NO_PARTS: ReadonlySet<string> = new Set();

/** The parameters whose rows a string search on `code` reads: `name` also reads family and given. */
export function stringSearchCodes(catalog: SearchCatalog, type: string, code: string): string[] {
  const params = catalog.forType(type);
  return code === 'name' && params.get('family')?.type === 'string' && params.get('given')?.type === 'string' ? ['name', 'family', 'given'] : [code];
}

function stringParts(value: unknown, skip: ReadonlySet<string>): string[] {
  if (typeof value === 'string') return [value];
  if (!value || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  const parts = 'family' in object || 'given' in object ? NAME_PARTS : 'city' in object || 'line' in object ? ADDRESS_PARTS : NAME_PARTS;
  return parts.filter((part) => !skip.has(part)).flatMap((part) => {
    const element = object[part];
    if (typeof element === 'string') return [element];
    return Array.isArray(element) ? element.filter((item): item is string => typeof item === 'string') : [];
  });
}

function clearDateRange(value: unknown): { low: string; high: string } | undefined {
  if (typeof value === 'string') {
    const range = dateRange(value);
    return range && { low: range.low, high: range.high };
  }
  if (!value || typeof value !== 'object') return undefined;
  const period = value as { start?: unknown; end?: unknown; event?: unknown };
  if (typeof period.start === 'string' || typeof period.end === 'string') {
    const low = typeof period.start === 'string' ? dateRange(period.start)?.low : EARLIEST;
    const high = typeof period.end === 'string' ? dateRange(period.end)?.high : LATEST;
    return low && high ? { low, high } : undefined;
  }
  if (Array.isArray(period.event) && typeof period.event[0] === 'string') return clearDateRange(period.event[0]);
  return undefined;
}

/** The patient compartment a resource's data key belongs to. */
export function compartmentOf(resource: FhirResource): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id ? `Patient/${resource.id}` : undefined;
  for (const element of PATIENT_REFERENCE_ELEMENTS) {
    const reference = referenceOf(resource[element]);
    if (reference?.startsWith('Patient/')) return stripHistory(reference);
  }
  return undefined;
}

function referenceOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && typeof (value as { reference?: unknown }).reference === 'string') {
    return (value as { reference: string }).reference;
  }
  return undefined;
}

export function stripHistory(reference: string): string {
  const at = reference.indexOf('/_history/');
  return at < 0 ? reference : reference.slice(0, at);
}

/** What tells two rows of a resource apart: the table's key without type and id. */
export function entryKey(entry: IndexEntry): string {
  if ('value' in entry) return `${entry.param}\u0000${entry.value}\u0000${entry.qual}`;
  return 'low' in entry ? `${entry.param}\u0000${entry.low}\u0000${entry.high}` : `${entry.param}\u0000${entry.number}\u0000${entry.unitSystem}`;
}

function dedupe(entries: IndexEntry[]): IndexEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = entryKey(entry);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
