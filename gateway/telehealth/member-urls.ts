// Where each consortium member's node answers, for the calls one member's node makes to another's
// (a visit note to the patient's home hospital). The ConsortiumRegistry holds who a member is,
// not where it runs: the URLs are configuration, `TELEHEALTH_MEMBER_URLS`, a JSON object of org id
// (or bytes32 member id) -> base URL, e.g. {"hospital-a": "https://node.hospital-a.example"}.

import { memberIdOf } from '../crypto/digest.js';
import type { Hex } from '../ledger/ports.js';

export class MemberUrlsError extends Error {
  override name = 'MemberUrlsError';
}

/** Base URLs by member id (lower-case 0x bytes32), without a trailing slash. */
export function memberUrlsFrom(raw: string | undefined): Record<Hex, string> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new MemberUrlsError('TELEHEALTH_MEMBER_URLS must be a JSON object of org id -> base URL, e.g. {"hospital-a": "http://127.0.0.1:8081"}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MemberUrlsError('TELEHEALTH_MEMBER_URLS must be a JSON object of org id -> base URL');
  }
  const urls: Record<Hex, string> = {};
  for (const [member, url] of Object.entries(parsed)) {
    if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol) || new URL(url).search || new URL(url).hash) {
      throw new MemberUrlsError(`TELEHEALTH_MEMBER_URLS: the URL of ${member} must be an http(s) base URL without query or fragment, got ${JSON.stringify(url)}`);
    }
    const id = /^0x[0-9a-fA-F]{64}$/.test(member) ? (member.toLowerCase() as Hex) : memberIdOf(member);
    urls[id] = url.replace(/\/+$/, '');
  }
  return urls;
}
