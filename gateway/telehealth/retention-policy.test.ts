import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expiresAt, parsePeriod, retentionPolicyFrom } from './retention-policy.js';

describe('telehealth retention policy', () => {
  it('defaults to 7 years for consultations, audit and escalations, 90 days for notifications, 0 for signaling, daily purge', () => {
    const policy = retentionPolicyFrom({}, '/');
    expect(policy.periods).toEqual({
      consultation: { years: 7, days: 0 },
      signaling: { years: 0, days: 0 },
      notifications: { years: 0, days: 90 },
      audit: { years: 7, days: 0 },
      escalations: { years: 7, days: 0 },
    });
    expect(policy.purgeIntervalMs).toBe(86_400_000);
  });

  it('reads a policy file and lets a variable override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'careledger-retention-'));
    try {
      writeFileSync(join(dir, 'policy.json'), JSON.stringify({ consultation: '10y', notifications: '30d' }));
      const policy = retentionPolicyFrom({ TELEHEALTH_RETENTION_FILE: 'policy.json', TELEHEALTH_RETENTION_NOTIFICATIONS: '1y30d' }, dir);
      expect(policy.periods.consultation).toEqual({ years: 10, days: 0 });
      expect(policy.periods.notifications).toEqual({ years: 1, days: 30 });
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ chat: '1y' }));
      expect(() => retentionPolicyFrom({ TELEHEALTH_RETENTION_FILE: 'bad.json' }, dir)).toThrow(/unknown channel "chat"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses periods it cannot honour, with what to write instead', () => {
    expect(() => retentionPolicyFrom({ TELEHEALTH_RETENTION_SIGNALING: '1d' }, '/')).toThrow(/signaling is relayed and never stored/);
    expect(() => parsePeriod('7 years', 'X')).toThrow(/7y, 90d, 1y30d or 0/);
    expect(() => parsePeriod('', 'X')).toThrow();
    expect(() => parsePeriod('101y', 'X')).toThrow(/100 years/);
    expect(() => retentionPolicyFrom({ TELEHEALTH_PURGE_INTERVAL_MS: '5' }, '/')).toThrow(/TELEHEALTH_PURGE_INTERVAL_MS/);
  });

  it('counts calendar years, leap days included, and keeps 29 February in February', () => {
    expect(new Date(expiresAt(Date.UTC(2026, 0, 15), { years: 7, days: 0 })).toISOString()).toBe('2033-01-15T00:00:00.000Z');
    expect(new Date(expiresAt(Date.UTC(2028, 1, 29), { years: 1, days: 0 })).toISOString()).toBe('2029-02-28T00:00:00.000Z');
    expect(new Date(expiresAt(Date.UTC(2026, 0, 1), { years: 0, days: 90 })).toISOString()).toBe('2026-04-01T00:00:00.000Z');
    expect(expiresAt(1234, { years: 0, days: 0 })).toBe(1234);
  });
});
