// Paired A/B of the node's intake between two trees, e.g. this one against the commit before a
// change: `git worktree add /tmp/before <commit>; ln -s $PWD/node_modules /tmp/before/node_modules`
// then `npx tsx test/bench/intake-ab.ts /tmp/before .` (AB_ROUNDS, AB_N, AB_WARM to change the
// defaults: 6 rounds of 20,000 timed resources after 10,000 of warm-up). The runs alternate
// A, B, A, B... so the machine's drift (±20-30% here) falls on both; each prints a line, and the
// summary gives B/A by total resources per second, the median of the per-round ratios and CPU.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const [a, b] = process.argv.slice(2).map((path) => resolve(path));
if (!a || !b) {
  console.error('usage: npx tsx test/bench/intake-ab.ts <tree A> <tree B>');
  process.exit(2);
}
const rounds = Number(process.env.AB_ROUNDS ?? 6);
const runner = resolve(import.meta.dirname, 'intake-ab-run.ts');
interface Run {
  perSec: number;
  cpuUsPerResource: number;
}
const runs: Record<'a' | 'b', Run[]> = { a: [], b: [] };
for (let round = 1; round <= rounds; round++) {
  for (const [side, root] of [['a', a], ['b', b]] as const) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', runner], { cwd: root, env: { ...process.env, ROOT: root }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const line = child.stdout.split('\n').find((text) => text.startsWith('{'));
    if (!line) throw new Error(`round ${round}, ${root}: no result\n${child.stdout}\n${child.stderr}`);
    const run = JSON.parse(line) as Run;
    runs[side].push(run);
    console.log(`round ${round} ${side.toUpperCase()} ${root}: ${run.perSec}/s, ${run.cpuUsPerResource} µs CPU per resource`);
  }
}
const total = (side: 'a' | 'b') => runs[side].reduce((sum, run) => sum + run.perSec, 0);
const ratios = runs.b.map((run, i) => run.perSec / runs.a[i]!.perSec).sort((x, y) => x - y);
const cpu = (side: 'a' | 'b') => Math.round(runs[side].reduce((sum, run) => sum + run.cpuUsPerResource, 0) / rounds);
console.log(
  `B/A intake: ${(total('b') / total('a')).toFixed(2)}x by total, median of rounds ${ratios[Math.floor(rounds / 2)]!.toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(', ')}); CPU per resource ${cpu('a')} -> ${cpu('b')} µs`,
);
