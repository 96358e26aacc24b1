// Telehealth relay figures for `npm run bench`: the signaling relay holding BENCH_RELAY_SESSIONS
// consults (two sockets each: provider and patient) while they exchange BENCH_RELAY_RATE ICE
// candidates a second in all, for BENCH_RELAY_SECONDS after a 2 s warm-up, in BENCH_RELAY_ROUNDS
// rounds (default 3 x 6 s, 18 s of load per mode). The relay runs in its
// own process (test/bench/telehealth-relay-server.ts), so its RSS and CPU are its own; the
// clients run here. Reported: p50 / p99 / max latency from a client's send to the peer's receipt,
// messages lost, the relay process's RSS (now and peak) and CPU, and the join latency (socket
// opened to `welcome`: token redeemed in SQLite, gate asked), one join at a time.
// Baseline, same run and load: a bare `ws` server forwarding each frame to the other socket of its
// session with no token, gate, size, rate or schema check, so the price of the checks shows.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { SIGNAL_PROTOCOL, TOKEN_PROTOCOL_PREFIX, signalPath } from '../../gateway/telehealth/signaling-relay.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SEQUENTIAL_JOIN_SESSIONS = 50;

export interface RelayLoadFigures {
  sockets: number;
  /** Messages sent a second over the measured window. */
  sentPerSecond: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rssMb: number;
  peakRssMb: number;
  /** Of one core, over the measured window. */
  cpuPercent: number;
  /** Socket opened to welcome (relay) or to open (baseline), one join at a time, p50 / p95. */
  joinP50Ms: number;
  joinP95Ms: number;
}

export interface TelehealthRelayBenchResult {
  sessions: number;
  rate: number;
  /** Measured seconds per round; each mode runs `rounds` rounds, alternating with the other. */
  seconds: number;
  rounds: number;
  /** The worst round's p99 of each mode. */
  worstRoundP99Ms: { relay: number; baseline: number };
  relay: RelayLoadFigures;
  baseline: RelayLoadFigures;
}

export async function benchTelehealthRelay(options: { sessions?: number; rate?: number; seconds?: number; rounds?: number } = {}): Promise<TelehealthRelayBenchResult> {
  const sessions = options.sessions ?? Number(process.env.BENCH_RELAY_SESSIONS ?? 500);
  const rate = options.rate ?? Number(process.env.BENCH_RELAY_RATE ?? 2000);
  const seconds = options.seconds ?? Number(process.env.BENCH_RELAY_SECONDS ?? 6);
  const rounds = options.rounds ?? Number(process.env.BENCH_RELAY_ROUNDS ?? 3);
  // Rounds alternate, baseline first, and each mode reports its median round: on a shared 2-core
  // machine another process's burst can stall either one for a second, which would otherwise
  // decide the comparison.
  const relayRounds: RelayLoadFigures[] = [];
  const baselineRounds: RelayLoadFigures[] = [];
  for (let round = 0; round < rounds; round++) {
    baselineRounds.push(await underLoad('baseline', sessions, rate, seconds));
    relayRounds.push(await underLoad('relay', sessions, rate, seconds));
  }
  return {
    sessions,
    rate,
    seconds,
    rounds,
    relay: medianRound(relayRounds),
    baseline: medianRound(baselineRounds),
    worstRoundP99Ms: { relay: Math.max(...relayRounds.map((r) => r.p99Ms)), baseline: Math.max(...baselineRounds.map((r) => r.p99Ms)) },
  };
}

/** The round with the median p99, with the loss summed and the peak RSS taken over all rounds. */
function medianRound(rounds: RelayLoadFigures[]): RelayLoadFigures {
  const median = [...rounds].sort((a, b) => a.p99Ms - b.p99Ms)[Math.floor(rounds.length / 2)]!;
  return { ...median, lost: rounds.reduce((sum, r) => sum + r.lost, 0), peakRssMb: Math.max(...rounds.map((r) => r.peakRssMb)) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

async function underLoad(mode: 'relay' | 'baseline', sessions: number, rate: number, seconds: number): Promise<RelayLoadFigures> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/telehealth-relay-server.ts'), mode, String(sessions)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const sockets: WebSocket[] = [];
  try {
    const ready = JSON.parse(await firstLine(child)) as { port: number; tokens?: string[][] };
    const joins: number[] = [];
    const open = async (session: number, role: 'provider' | 'patient', measured?: number[]): Promise<WebSocket> => {
      const sessionId = `bench-session-${String(session).padStart(6, '0')}`;
      const started = performance.now();
      const socket =
        mode === 'relay'
          ? new WebSocket(`ws://127.0.0.1:${ready.port}${signalPath(sessionId)}`, [SIGNAL_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${ready.tokens![session]![role === 'provider' ? 0 : 1]}`])
          : new WebSocket(`ws://127.0.0.1:${ready.port}/s/${sessionId}/${role}`);
      await new Promise<void>((resolveOpen, reject) => {
        socket.once('error', reject);
        if (mode === 'baseline') socket.once('open', () => resolveOpen());
        else socket.once('message', () => resolveOpen());
        socket.once('close', (code) => reject(new Error(`${mode}: socket closed with ${code} while joining`)));
      });
      measured?.push(performance.now() - started);
      return socket;
    };
    // The first sessions join one socket at a time: their figures are a join's own latency. The
    // rest join 50 sockets at a time, unmeasured, to reach the load sooner.
    const alone = Math.min(sessions, SEQUENTIAL_JOIN_SESSIONS);
    for (let i = 0; i < alone; i++) sockets.push(await open(i, 'provider', joins), await open(i, 'patient', joins));
    for (let session = alone; session < sessions; session += 25) {
      const batch: Array<Promise<WebSocket[]>> = [];
      for (let i = session; i < Math.min(sessions, session + 25); i++) batch.push(Promise.all([open(i, 'provider'), open(i, 'patient')]));
      for (const pair of await Promise.all(batch)) sockets.push(...pair);
    }

    let measuring = false;
    const latencies: number[] = [];
    let received = 0;
    for (const socket of sockets) {
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { type: string; candidate?: { sdpMid?: string } };
        if (message.type !== 'ice-candidate' || !measuring) return;
        received++;
        latencies.push(performance.now() - Number(message.candidate!.sdpMid));
      });
    }

    let sent = 0;
    let next = 0;
    const send = () => {
      const index = next++ % sockets.length;
      const to = index % 2 === 0 ? 'patient' : 'provider';
      sockets[index]!.send(JSON.stringify({ type: 'ice-candidate', to, candidate: { candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', sdpMid: String(performance.now()) } }));
    };
    const drive = async (durationMs: number, counted: boolean) => {
      const started = performance.now();
      let due = 0;
      await new Promise<void>((done) => {
        const timer = setInterval(() => {
          const elapsed = performance.now() - started;
          const target = Math.floor((Math.min(elapsed, durationMs) * rate) / 1000);
          for (; due < target; due++) {
            send();
            if (counted) sent++;
          }
          if (elapsed >= durationMs) {
            clearInterval(timer);
            done();
          }
        }, 5);
      });
    };
    await drive(2000, false);
    const cpuBefore = cpuTicks(child.pid!);
    const windowStarted = performance.now();
    measuring = true;
    await drive(seconds * 1000, true);
    const windowSeconds = (performance.now() - windowStarted) / 1000;
    const cpuAfter = cpuTicks(child.pid!);
    // What is still in flight arrives within a second; later is lost.
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    measuring = false;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    latencies.sort((a, b) => a - b);
    joins.sort((a, b) => a - b);
    return {
      sockets: sockets.length,
      sentPerSecond: Math.round(sent / windowSeconds),
      lost: Math.max(0, sent - received),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies.at(-1) ?? 0),
      rssMb: Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024),
      peakRssMb: Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024),
      cpuPercent: Math.round(((cpuAfter - cpuBefore) / 100 / windowSeconds) * 100),
      joinP50Ms: round(percentile(joins, 50)),
      joinP95Ms: round(percentile(joins, 95)),
    };
  } finally {
    for (const socket of sockets) socket.terminate();
    await stop(child);
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolveLine(line);
    });
    child.once('exit', (code) => reject(new Error(`the relay bench server exited with ${code} before it was ready`)));
  });
}

/** utime + stime of a process, in clock ticks (1/100 s on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGTERM');
  await exited;
}
