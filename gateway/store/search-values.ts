// Pure value logic shared by the indexer and the query compiler: how strings are normalised,
// what instant range a FHIR date covers at its precision, and the range a number's precision
// implies. Stored instants are UTC ISO strings, which compare correctly as text.

import { badRequest, OperationOutcomeError } from '@medplum/core';

/** Case- and accent-insensitive form of a string search value, as FHIR string search defines. */
export function normalizeString(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Longest string prefix the index holds; a longer search value is refused rather than cut. */
export const MAX_STRING_PREFIX = 64;

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export type DatePrecision = 'year' | 'month' | 'day' | 'time';

export interface DateRange {
  /** Inclusive start, UTC ISO. */
  low: string;
  /** Exclusive end, UTC ISO. */
  high: string;
  precision: DatePrecision;
}

function utc(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month, day)).toISOString();
}

/** The range [low, high) a FHIR date, dateTime or instant covers, or undefined when malformed. */
export function dateRange(value: string): DateRange | undefined {
  const match = DATE_PATTERN.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const y = Number(year);
  if (!month) return { low: utc(y, 0, 1), high: utc(y + 1, 0, 1), precision: 'year' };
  const m = Number(month) - 1;
  if (m < 0 || m > 11) return undefined;
  if (!day) return { low: utc(y, m, 1), high: utc(y, m + 1, 1), precision: 'month' };
  const d = Number(day);
  if (d < 1 || d > 31) return undefined;
  if (!hour) return { low: utc(y, m, d), high: utc(y, m, d + 1), precision: 'day' };
  const start = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second ?? '00'}${fraction ? `.${fraction.slice(0, 3)}` : ''}${zone ?? 'Z'}`);
  if (Number.isNaN(start.getTime())) return undefined;
  const stepMs = fraction ? 1 : second ? 1000 : 60_000;
  return { low: start.toISOString(), high: new Date(start.getTime() + stepMs).toISOString(), precision: 'time' };
}

/** A period's range: an open end reaches the edge of time, as FHIR reads a missing bound. */
export const EARLIEST = '0000-01-01T00:00:00.000Z';
export const LATEST = '9999-12-31T23:59:59.999Z';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

export function splitPrefix(raw: string): { prefix: Prefix; value: string } {
  const head = raw.slice(0, 2);
  if ((PREFIXES as readonly string[]).includes(head) && /^[\d-]/.test(raw.slice(2))) return { prefix: head as Prefix, value: raw.slice(2) };
  return { prefix: 'eq', value: raw };
}

export function searchDate(name: string, raw: string): { prefix: Prefix; range: DateRange } {
  const { prefix, value } = splitPrefix(raw);
  const range = dateRange(value);
  if (!range) {
    throw new OperationOutcomeError(
      badRequest(`Invalid ${name} value ${raw}: expected [eq|ne|gt|lt|ge|le|sa|eb|ap]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|±hh:mm]]]]`, name),
    );
  }
  return { prefix, range };
}

/**
 * `ap` widens the search range by 10% of its distance from now on each side (the spec leaves the
 * amount to the server; this is what its text suggests), at least one day.
 */
export function approximateRange(range: DateRange, now: number): { low: string; high: string } {
  const low = Date.parse(range.low);
  const high = Date.parse(range.high);
  const margin = Math.max(86_400_000, Math.abs(now - (low + high) / 2) * 0.1);
  return { low: new Date(low - margin).toISOString(), high: new Date(high + margin).toISOString() };
}

/** A number search value with the range its precision implies: `5.4` is [5.35, 5.45). */
export function numberRange(name: string, raw: string): { value: number; low: number; high: number } {
  if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) {
    throw new OperationOutcomeError(badRequest(`Invalid ${name} number ${raw}: expected [prefix]number[|system|code]`, name));
  }
  const value = Number(raw);
  const decimals = /\.(\d+)/.exec(raw.replace(/[eE].*$/, ''))?.[1]?.length ?? 0;
  const exponent = Number(/[eE]([+-]?\d+)$/.exec(raw)?.[1] ?? 0);
  const half = 0.5 * 10 ** (exponent - decimals);
  return { value, low: value - half, high: value + half };
}
