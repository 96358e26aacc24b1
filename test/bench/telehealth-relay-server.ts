// The process the relay bench measures (its RSS and CPU are the relay's alone):
//   relay     the signaling relay as the host runs it: join tokens redeemed against SQLite, the
//             gate asked on every join, every frame size- and rate-checked, schema-checked and
//             routed to its `to` with the sender the relay saw.
//   baseline  a bare `ws` server that forwards each frame, parsed and stamped with its sender,
//             to the other socket of its session, and checks nothing.
// Usage: node --import tsx test/bench/telehealth-relay-server.ts <relay|baseline> <sessions>
// Prints one JSON line: { port, tokens? } (tokens[i] = [provider, patient] of session i, whose id
// is bench-session-<i, six digits>).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { startRelayHost } from '../support/telehealth-relay-fixture.js';

function benchSessionId(index: number): string {
  return `bench-session-${String(index).padStart(6, '0')}`;
}

async function relay(sessions: number): Promise<void> {
  const host = await startRelayHost();
  const tokens: string[][] = [];
  for (let i = 0; i < sessions; i++) {
    const session = benchSessionId(i);
    tokens.push([
      (await host.tokens.issue(session, host.gate.add(session, 'provider', 'provider'), 600)).token,
      (await host.tokens.issue(session, host.gate.add(session, 'patient', 'patient'), 600)).token,
    ]);
  }
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(host.baseUrl).port), tokens })}\n`);
}

async function baseline(): Promise<void> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const rooms = new Map<string, Map<string, WebSocket>>();
  wss.on('connection', (socket, request) => {
    const [, , session, participant] = (request.url ?? '').split('/') as [string, string, string, string];
    const room = rooms.get(session) ?? new Map<string, WebSocket>();
    rooms.set(session, room);
    room.set(participant, socket);
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      room.get(message.to as string)?.send(JSON.stringify({ ...message, to: undefined, from: participant }));
    });
    socket.on('close', () => room.delete(participant));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

const [mode, sessions] = process.argv.slice(2);
if (mode === 'relay') await relay(Number(sessions));
else if (mode === 'baseline') await baseline();
else throw new Error('usage: telehealth-relay-server.ts <relay|baseline> <sessions>');
