import { MAX_DAY_NUMBER } from './feature-schema.js';

const MS_PER_DAY = 86_400_000;
const EPOCH_MS = Date.UTC(1899, 11, 31);
const DATE_PREFIX = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/;

/**
 * Day number of a FHIR date or dateTime (1900-01-01 = 1), using its calendar date as written
 * (time and zone ignored: clinical dates are local dates). Partial dates resolve to the first
 * day of the period. Returns null for anything unparseable or outside [1900-01-01, 2258-11-11].
 */
export function dayNumber(date: string): number | null {
  const m = DATE_PREFIX.exec(date);
  if (!m) return null;
  const year = Number(m[1]);
  const month = m[2] ? Number(m[2]) : 1;
  const day = m[3] ? Number(m[3]) : 1;
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  const n = Math.round((ms - EPOCH_MS) / MS_PER_DAY);
  return n >= 1 && n <= MAX_DAY_NUMBER ? n : null;
}
