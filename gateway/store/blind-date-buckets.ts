// A birth date is an identifier (HIPAA counts it as one), so the search index never holds it in
// the clear: it holds keyed hashes of its calendar buckets. A date is indexed as
//   c|Y:1980, c|M:1980-05, c|D:1980-05-01  (the buckets that contain it: equality at any precision)
//   f|D:1980-05-01                        (its own bucket at its own precision: ranges)
// and a range search (lt, ge, ne, ap...) is expanded into the buckets whose dates all satisfy it
// (a containment token) plus, where a bucket only partly does, its children and its own "f" token.
// The expansion covers the years BIRTH_YEAR_FLOOR to next year; equality works for any date.

import type { DateRange, Prefix } from './search-values.js';

export const BIRTH_YEAR_FLOOR = 1850;

type Atom = { kind: 'sGe' | 'sLt' | 'eLe' | 'eGt'; at: number };
/** A union of conjunctions of bounds on a stored range [s, e). */
type Predicate = Atom[][];

interface Bucket {
  key: string;
  start: number;
  end: number;
  level: 'Y' | 'M' | 'D';
}

/** The bucket keys a stored date yields; the caller hashes each. */
export function dateBucketKeys(value: string): string[] {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(value);
  if (!match) return [];
  const [, year, month, day] = match;
  const keys = [`c|Y:${year}`];
  if (month) keys.push(`c|M:${year}-${month}`);
  if (month && day) keys.push(`c|D:${year}-${month}-${day}`);
  keys.push(`f|${keys.at(-1)!.slice(2)}`);
  return keys;
}

function predicate(prefix: Prefix, low: number, high: number): Predicate {
  switch (prefix) {
    case 'eq':
      return [[{ kind: 'sGe', at: low }, { kind: 'eLe', at: high }]];
    case 'ne':
      return [[{ kind: 'sLt', at: low }], [{ kind: 'eGt', at: high }]];
    case 'gt':
      return [[{ kind: 'eGt', at: high }]];
    case 'lt':
      return [[{ kind: 'sLt', at: low }]];
    case 'ge':
      return [[{ kind: 'eGt', at: low }]];
    case 'le':
      return [[{ kind: 'sLt', at: high }]];
    case 'sa':
      return [[{ kind: 'sGe', at: high }]];
    case 'eb':
      return [[{ kind: 'eLe', at: low }]];
    case 'ap':
      return [[{ kind: 'eGt', at: low }, { kind: 'sLt', at: high }]];
  }
}

function holds(atom: Atom, s: number, e: number): boolean {
  switch (atom.kind) {
    case 'sGe':
      return s >= atom.at;
    case 'sLt':
      return s < atom.at;
    case 'eLe':
      return e <= atom.at;
    case 'eGt':
      return e > atom.at;
  }
}

/** Every range inside the bucket satisfies the atom. */
function always(atom: Atom, bucket: Bucket): boolean {
  switch (atom.kind) {
    case 'sGe':
    case 'eGt':
      return bucket.start >= atom.at;
    case 'sLt':
    case 'eLe':
      return bucket.end <= atom.at;
  }
}

/** Some range inside the bucket may satisfy the atom. */
function possibly(atom: Atom, bucket: Bucket): boolean {
  switch (atom.kind) {
    case 'sGe':
    case 'eGt':
      return bucket.end > atom.at;
    case 'sLt':
    case 'eLe':
      return bucket.start < atom.at;
  }
}

function children(bucket: Bucket): Bucket[] {
  const out: Bucket[] = [];
  const date = new Date(bucket.start);
  if (bucket.level === 'Y') {
    for (let month = 0; month < 12; month++) {
      const start = Date.UTC(date.getUTCFullYear(), month, 1);
      const key = `M:${new Date(start).toISOString().slice(0, 7)}`;
      out.push({ key, start, end: Date.UTC(date.getUTCFullYear(), month + 1, 1), level: 'M' });
    }
  } else if (bucket.level === 'M') {
    for (let start = bucket.start; start < bucket.end; start += 86_400_000) {
      out.push({ key: `D:${new Date(start).toISOString().slice(0, 10)}`, start, end: start + 86_400_000, level: 'D' });
    }
  }
  return out;
}

function expand(bucket: Bucket, clauses: Predicate, out: string[]): void {
  if (!clauses.some((clause) => clause.every((atom) => possibly(atom, bucket)))) return;
  if (clauses.some((clause) => clause.every((atom) => always(atom, bucket)))) {
    out.push(`c|${bucket.key}`);
    return;
  }
  if (clauses.some((clause) => clause.every((atom) => holds(atom, bucket.start, bucket.end)))) out.push(`f|${bucket.key}`);
  for (const child of children(bucket)) expand(child, clauses, out);
}

/** The bucket keys a stored date must have one of to satisfy `prefix` against `range`. */
export function matchingBucketKeys(prefix: Prefix, range: { low: string; high: string }, now: Date): string[] {
  const clauses = predicate(prefix, Date.parse(range.low), Date.parse(range.high));
  if (prefix === 'eq') {
    const exact = containmentKey(range);
    if (exact) return [exact];
  }
  const out: string[] = [];
  for (let year = BIRTH_YEAR_FLOOR; year <= now.getUTCFullYear() + 1; year++) {
    expand({ key: `Y:${year}`, start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1), level: 'Y' }, clauses, out);
  }
  return out;
}

/** `eq` on a whole calendar bucket is its containment token, whatever the year. */
function containmentKey(range: DateRange | { low: string; high: string }): string | undefined {
  if (!('precision' in range)) return undefined;
  if (range.precision === 'year') return `c|Y:${range.low.slice(0, 4)}`;
  if (range.precision === 'month') return `c|M:${range.low.slice(0, 7)}`;
  if (range.precision === 'day') return `c|D:${range.low.slice(0, 10)}`;
  return undefined;
}
