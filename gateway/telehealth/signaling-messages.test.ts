import { describe, expect, it } from 'vitest';
import { RelayCloseCode, closeCodeOf, parseInbound, sdpSendsMedia } from './signaling-messages.js';

const media = (...sections: string[]) => `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${sections.join('')}`;

describe('signaling messages', () => {
  it('accepts exactly the documented shapes', () => {
    for (const message of [
      { type: 'offer', to: 'dr-b', sdp: media() },
      { type: 'answer', to: 'dr-b', sdp: media() },
      { type: 'ice-candidate', to: 'dr-b', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: null } },
      { type: 'ice-candidate', to: 'dr-b', candidate: null },
      { type: 'end' },
      { type: 'end', to: 'dr-b' },
      { type: 'heartbeat' },
    ]) {
      expect(parseInbound(JSON.stringify(message))).toEqual({ ok: true, message });
    }
  });

  it('names what is wrong without quoting the content', () => {
    expect(parseInbound('nope')).toEqual({ ok: false, reason: 'not JSON' });
    expect(parseInbound('null')).toEqual({ ok: false, reason: 'not a JSON object' });
    expect(parseInbound('{"type":"__proto__"}')).toEqual({ ok: false, reason: 'unknown type' });
    expect(parseInbound('{"type":"heartbeat","patient":"Jane Doe"}')).toEqual({ ok: false, reason: 'unexpected field patient' });
    expect(parseInbound('{"type":"offer","to":"a b","sdp":"v=0"}')).toEqual({ ok: false, reason: 'to is not a participant id' });
    expect(parseInbound('{"type":"offer","to":"a","sdp":"hello"}')).toEqual({ ok: false, reason: 'sdp is not a session description' });
    expect(parseInbound('{"type":"ice-candidate","to":"a"}')).toEqual({ ok: false, reason: 'ice-candidate needs candidate' });
    expect(parseInbound('{"type":"ice-candidate","to":"a","candidate":{"candidate":"c","extra":1}}')).toEqual({ ok: false, reason: 'candidate is not an ICE candidate' });
    expect(parseInbound('{"type":"ice-candidate","to":"a","candidate":{"candidate":"c","sdpMLineIndex":-1}}')).toEqual({ ok: false, reason: 'candidate is not an ICE candidate' });
  });

  it('tells whether a description sends audio or video (RFC 3264 directions, sendrecv by default)', () => {
    expect(sdpSendsMedia(media('m=audio 9 RTP/AVP 0\r\n'))).toBe(true);
    expect(sdpSendsMedia(media('m=audio 9 RTP/AVP 0\r\na=recvonly\r\n', 'm=video 9 RTP/AVP 96\r\na=inactive\r\n'))).toBe(false);
    expect(sdpSendsMedia(media('m=audio 9 RTP/AVP 0\r\na=recvonly\r\n', 'm=video 9 RTP/AVP 96\r\na=sendonly\r\n'))).toBe(true);
    expect(sdpSendsMedia(`v=0\r\na=recvonly\r\nm=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\n`)).toBe(false);
    expect(sdpSendsMedia(`v=0\r\na=recvonly\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n`)).toBe(true);
    expect(sdpSendsMedia(media('m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n'))).toBe(false);
  });

  it('maps every gate refusal to its close code', () => {
    expect(closeCodeOf('session-closed')).toBe(RelayCloseCode.SESSION_CLOSED);
    expect(closeCodeOf('consent-revoked')).toBe(4410);
    expect(closeCodeOf('licence-invalid')).toBe(4411);
    expect(closeCodeOf('invitation-withdrawn')).toBe(4412);
    expect(closeCodeOf('not-admitted')).toBe(4403);
    expect(closeCodeOf('not-a-participant')).toBe(4403);
  });
});
