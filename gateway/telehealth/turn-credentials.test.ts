import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueTurnCredentials, turnCredential } from './turn-credentials.js';

const settings = { urls: ['turn:turn.north.example:3478?transport=udp', 'turns:turn.north.example:5349'], secret: 'north-wing-turn-secret', ttlSeconds: 600, relayOnly: false };
const NOW = 1_765_137_000_000;

describe('TURN credentials (coturn REST API)', () => {
  it('matches RFC 2202 HMAC-SHA1 test case 2 and a vector computed apart (Python hmac)', () => {
    expect(turnCredential('Jefe', 'what do ya want for nothing?')).toBe(Buffer.from('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79', 'hex').toString('base64'));
    expect(turnCredential('Jefe', 'what do ya want for nothing?')).toBe('7/zfauXrL6LSdBbV8YTfnCWafHk=');
    expect(turnCredential('north-wing-turn-secret', '1765137600:p-specialist')).toBe('vDAWI/YB5acSNVnEb9X6TbwykQA=');
  });

  it('gives username = expiry:participant and credential = base64(HMAC-SHA1(secret, username))', () => {
    const ice = issueTurnCredentials(settings, 'p-specialist', NOW);
    expect(ice.expiresAt).toBe(1_765_137_600);
    expect(ice.iceTransportPolicy).toBe('all');
    expect(ice.iceServers).toEqual([
      {
        urls: settings.urls,
        username: '1765137600:p-specialist',
        credential: createHmac('sha1', settings.secret).update('1765137600:p-specialist').digest('base64'),
      },
    ]);
    expect(ice.iceServers[0]!.credential).toBe('vDAWI/YB5acSNVnEb9X6TbwykQA=');
  });

  it('asks for relay-only ICE when the option is on', () => {
    expect(issueTurnCredentials({ ...settings, relayOnly: true }, 'p-1', NOW).iceTransportPolicy).toBe('relay');
  });

  it('hands out no servers when no TURN URL is configured', () => {
    expect(issueTurnCredentials({ ...settings, urls: [] }, 'p-1', NOW)).toEqual({ iceServers: [], iceTransportPolicy: 'all', expiresAt: null });
  });

  it('refuses a participant id that would move the colon of the username', () => {
    expect(() => issueTurnCredentials(settings, 'p:1', NOW)).toThrow(/participant id/);
  });
});
