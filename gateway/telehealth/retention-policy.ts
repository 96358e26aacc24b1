// How long each telehealth channel is kept, and when an item written at a given instant expires.
// Pure: read from the environment (or a JSON policy file the environment names) by config.ts, used
// by the message store when a message is written and by the purge job. Periods are calendar
// periods in UTC ("7y" is seven calendar years, leap days included), because records law counts
// years, not multiples of 365 days.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export const RETENTION_CHANNELS = ['consultation', 'signaling', 'notifications', 'audit', 'escalations'] as const;
export type RetentionChannel = (typeof RETENTION_CHANNELS)[number];

/** A calendar period: `{ years: 7 }`, `{ days: 90 }`, or zero (nothing is kept). */
export interface RetentionPeriod {
  years: number;
  days: number;
}

export interface RetentionPolicy {
  periods: Record<RetentionChannel, RetentionPeriod>;
  /** How often the purge job runs (it also runs once at start). */
  purgeIntervalMs: number;
}

const ENV_NAMES: Record<RetentionChannel, string> = {
  consultation: 'TELEHEALTH_RETENTION_CONSULTATION',
  signaling: 'TELEHEALTH_RETENTION_SIGNALING',
  notifications: 'TELEHEALTH_RETENTION_NOTIFICATIONS',
  audit: 'TELEHEALTH_RETENTION_AUDIT',
  escalations: 'TELEHEALTH_RETENTION_ESCALATIONS',
};

const DEFAULT_RETENTION: Readonly<Record<RetentionChannel, string>> = {
  consultation: '7y',
  signaling: '0',
  notifications: '90d',
  audit: '7y',
  escalations: '7y',
};

const DAY_MS = 86_400_000;
const MAX_YEARS = 100;

export class RetentionPolicyError extends Error {
  override name = 'RetentionPolicyError';
}

/**
 * The policy from `TELEHEALTH_RETENTION_FILE` (a JSON object of channel -> period) overlaid by the
 * per-channel variables (`TELEHEALTH_RETENTION_CONSULTATION=10y`...), over the defaults.
 */
export function retentionPolicyFrom(env: Record<string, string | undefined>, cwd: string): RetentionPolicy {
  const configured: Record<string, string> = { ...DEFAULT_RETENTION, ...policyFile(env.TELEHEALTH_RETENTION_FILE, cwd) };
  for (const channel of RETENTION_CHANNELS) {
    const value = env[ENV_NAMES[channel]];
    if (value !== undefined && value !== '') configured[channel] = value;
  }
  const periods = {} as Record<RetentionChannel, RetentionPeriod>;
  for (const channel of RETENTION_CHANNELS) periods[channel] = parsePeriod(configured[channel]!, `${ENV_NAMES[channel]} (${channel})`);
  // The relay never writes a signaling message anywhere (docs/telehealth.md): a longer period
  // would promise a retention the node does not have.
  if (!isZero(periods.signaling)) {
    throw new RetentionPolicyError(`${ENV_NAMES.signaling} must be 0: signaling is relayed and never stored, so it cannot be retained`);
  }
  return { periods, purgeIntervalMs: purgeInterval(env.TELEHEALTH_PURGE_INTERVAL_MS) };
}

/** `7y`, `90d`, `1y30d` or `0`. */
export function parsePeriod(text: string, what: string): RetentionPeriod {
  if (text.trim() === '0') return { years: 0, days: 0 };
  const match = /^(?:(\d{1,3})y)?(?:(\d{1,5})d)?$/.exec(text.trim());
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    throw new RetentionPolicyError(`${what} must be a period such as 7y, 90d, 1y30d or 0, got "${text}"`);
  }
  const period = { years: Number(match[1] ?? 0), days: Number(match[2] ?? 0) };
  if (period.years > MAX_YEARS) throw new RetentionPolicyError(`${what} may not exceed ${MAX_YEARS} years, got "${text}"`);
  return period;
}

/** The instant (ms) an item written at `writtenAt` stops being kept; equal to writtenAt for a zero period. */
export function expiresAt(writtenAt: number, period: RetentionPeriod): number {
  const date = new Date(writtenAt);
  const month = date.getUTCMonth();
  date.setUTCFullYear(date.getUTCFullYear() + period.years);
  // 29 February plus a year lands on 1 March: keep it to the last day of February instead.
  if (date.getUTCMonth() !== month) date.setUTCDate(0);
  return date.getTime() + period.days * DAY_MS;
}

export function describePeriod(period: RetentionPeriod): string {
  if (isZero(period)) return '0';
  return `${period.years ? `${period.years}y` : ''}${period.days ? `${period.days}d` : ''}`;
}

function isZero(period: RetentionPeriod): boolean {
  return period.years === 0 && period.days === 0;
}

function policyFile(path: string | undefined, cwd: string): Record<string, string> {
  if (!path) return {};
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(full, 'utf8'));
  } catch (error) {
    throw new RetentionPolicyError(`TELEHEALTH_RETENTION_FILE ${full} is not a readable JSON file: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RetentionPolicyError(`TELEHEALTH_RETENTION_FILE ${full} must hold a JSON object of channel -> period, e.g. {"consultation": "10y"}`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(RETENTION_CHANNELS as readonly string[]).includes(key)) {
      throw new RetentionPolicyError(`TELEHEALTH_RETENTION_FILE ${full}: unknown channel "${key}"; channels are ${RETENTION_CHANNELS.join(', ')}`);
    }
    if (typeof value !== 'string') throw new RetentionPolicyError(`TELEHEALTH_RETENTION_FILE ${full}: "${key}" must be a string such as "7y"`);
    out[key] = value;
  }
  return out;
}

function purgeInterval(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DAY_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1000 || value > 7 * DAY_MS) {
    throw new RetentionPolicyError(`TELEHEALTH_PURGE_INTERVAL_MS must be an integer from 1000 to ${7 * DAY_MS}, got "${raw}"`);
  }
  return value;
}
