import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { DEFAULT_RELAY_LIMITS } from './signaling-relay.js';

describe('telehealth relay configuration', () => {
  it('defaults to a 5-minute join token, the relay defaults and no webhook', () => {
    expect(loadConfig({}, '/tmp').telehealthRelay).toEqual({ joinTokenTtlSeconds: 300, limits: DEFAULT_RELAY_LIMITS, escalationWebhook: null });
  });

  it('reads the join-token lifetime, the limits and the paging webhook', () => {
    const config = loadConfig(
      {
        TELEHEALTH_JOIN_TOKEN_TTL_SECONDS: '600',
        TELEHEALTH_RELAY_MAX_MESSAGE_BYTES: '32768',
        TELEHEALTH_RELAY_BURST: '20',
        TELEHEALTH_RELAY_MESSAGES_PER_SECOND: '10',
        TELEHEALTH_RELAY_HEARTBEAT_INTERVAL_MS: '5000',
        TELEHEALTH_RELAY_HEARTBEAT_TIMEOUT_MS: '15000',
        TELEHEALTH_ESCALATION_WEBHOOK_URL: 'https://paging.north.example/hooks/careledger',
        TELEHEALTH_ESCALATION_WEBHOOK_SECRET: 'paging-shared-secret-0123',
      },
      '/tmp',
    ).telehealthRelay;
    expect(config).toEqual({
      joinTokenTtlSeconds: 600,
      limits: { maxMessageBytes: 32768, burst: 20, messagesPerSecond: 10, heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 15000, admissionTimeoutMs: 10_000, maxBufferedBytes: 1024 * 1024 },
      escalationWebhook: { url: 'https://paging.north.example/hooks/careledger', secret: 'paging-shared-secret-0123' },
    });
  });

  it('refuses a join token above 10 minutes, a webhook without its secret, and a timeout within the heartbeat interval', () => {
    expect(() => loadConfig({ TELEHEALTH_JOIN_TOKEN_TTL_SECONDS: '601' }, '/tmp')).toThrow(/TELEHEALTH_JOIN_TOKEN_TTL_SECONDS must be an integer from 10 to 600/);
    expect(() => loadConfig({ TELEHEALTH_ESCALATION_WEBHOOK_URL: 'https://paging.example' }, '/tmp')).toThrow(ConfigError);
    expect(() => loadConfig({ TELEHEALTH_ESCALATION_WEBHOOK_URL: 'ftp://paging.example', TELEHEALTH_ESCALATION_WEBHOOK_SECRET: 'x'.repeat(16) }, '/tmp')).toThrow(/http\(s\) URL/);
    expect(() => loadConfig({ TELEHEALTH_RELAY_HEARTBEAT_TIMEOUT_MS: '10000' }, '/tmp')).toThrow(/must exceed TELEHEALTH_RELAY_HEARTBEAT_INTERVAL_MS/);
  });
});
