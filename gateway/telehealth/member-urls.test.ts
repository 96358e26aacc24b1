import { describe, expect, it } from 'vitest';
import { memberIdOf } from '../crypto/digest.js';
import { memberUrlsFrom } from './member-urls.js';

describe('TELEHEALTH_MEMBER_URLS', () => {
  it('maps org ids and member ids to base URLs without a trailing slash', () => {
    const memberId = `0x${'AB'.repeat(32)}`;
    expect(memberUrlsFrom(JSON.stringify({ 'hospital-a': 'http://127.0.0.1:8081/', [memberId]: 'https://node.b.example' }))).toEqual({
      [memberIdOf('hospital-a')]: 'http://127.0.0.1:8081',
      [memberId.toLowerCase()]: 'https://node.b.example',
    });
    expect(memberUrlsFrom(undefined)).toEqual({});
  });

  it('refuses what is not a JSON object of http(s) base URLs, saying what to write', () => {
    expect(() => memberUrlsFrom('hospital-a=http://x')).toThrow(/JSON object of org id -> base URL/);
    expect(() => memberUrlsFrom('["http://x"]')).toThrow(/JSON object/);
    expect(() => memberUrlsFrom(JSON.stringify({ a: 'ftp://x' }))).toThrow(/http\(s\) base URL/);
    expect(() => memberUrlsFrom(JSON.stringify({ a: 'http://x/?token=1' }))).toThrow(/without query/);
  });
});
