// TURN credentials for a participant, in coturn's REST-API form (draft-uberti-behave-turn-rest,
// coturn `use-auth-secret` / `static-auth-secret`): username = "<expiry unix seconds>:<participant>",
// credential = base64(HMAC-SHA1(shared secret, username)). The TURN server recomputes the
// credential from the username with the same secret and refuses it after the expiry, so the node
// and the TURN server share one secret and nothing else: no per-user accounts to provision.

import { createHmac } from 'node:crypto';

export interface TurnSettings {
  /** turn:/turns: (and stun:) URLs handed to the browser. Empty: no TURN, peer-to-peer only. */
  urls: string[];
  /** coturn's static-auth-secret. */
  secret: string;
  /** How long the credential holds, in seconds. */
  ttlSeconds: number;
  /** Media only through TURN (iceTransportPolicy "relay"): hides participants' addresses from each other. */
  relayOnly: boolean;
}

/** The part of an RTCConfiguration the node hands out with a join token. */
export interface IceConfiguration {
  iceServers: Array<{ urls: string[]; username: string; credential: string }>;
  iceTransportPolicy: 'all' | 'relay';
  /** Seconds since the epoch after which the TURN server refuses the credential. */
  expiresAt: number | null;
}

const PARTICIPANT_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function turnCredential(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

export function issueTurnCredentials(settings: TurnSettings, participantId: string, now: number = Date.now()): IceConfiguration {
  // The username's colon separates the expiry from the participant: a colon inside the id would move it.
  if (!PARTICIPANT_ID.test(participantId)) throw new Error('a participant id is 1-128 letters, digits, dot, dash or underscore');
  if (settings.urls.length === 0) return { iceServers: [], iceTransportPolicy: 'all', expiresAt: null };
  const expiresAt = Math.floor(now / 1000) + settings.ttlSeconds;
  const username = `${expiresAt}:${participantId}`;
  return {
    iceServers: [{ urls: [...settings.urls], username, credential: turnCredential(settings.secret, username) }],
    iceTransportPolicy: settings.relayOnly ? 'relay' : 'all',
    expiresAt,
  };
}
