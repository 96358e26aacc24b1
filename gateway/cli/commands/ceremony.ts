// careledger ceremony init|contribute|verify|finalize: the multi-party phase 2 of the Groth16
// setup among member hospitals (procedure: docs/zk.md, "Ceremony"). Each step reads and writes
// zkey files that the participants pass on to each other; nothing here touches the node's data.

import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as snarkjs from 'snarkjs';
import { loadBuildConfig, sha256File, type BuildConfig } from '../../../circuits/build-config.js';
import { ensureR1cs } from '../../../circuits/r1cs.js';
import { contribute, finalize, initialize } from '../../cohort/ceremony.js';

const HELP = `usage:
  careledger ceremony init --circuit NAME --ptau FILE --out FILE
  careledger ceremony contribute --in FILE --out FILE --name "Hospital A" [--entropy TEXT]
  careledger ceremony verify --circuit NAME --ptau FILE --zkey FILE
  careledger ceremony finalize --in FILE --out FILE --beacon HEX --iterations N --name TEXT [--circuit NAME]

Circuits are those of circuits/circuits.json; their r1cs is compiled from the committed sources
and checked against circuits/artifacts/manifest.json. finalize writes OUT's verification key
(<out>.vkey.json) and Solidity verifier (<Contract>.sol) beside OUT; --circuit names the contract
and defaults to OUT's file name (e.g. threshold_release.zkey).`;

class UsageError extends Error {}

function required(values: Record<string, string | undefined>, action: string, names: string[]): string[] {
  const missing = names.filter((n) => !values[n]);
  if (missing.length > 0) throw new UsageError(`${action} needs ${missing.map((n) => `--${n}`).join(', ')}`);
  return names.map((n) => values[n] as string);
}

function circuitConfig(config: BuildConfig, name: string) {
  const circuit = config.circuits[name];
  if (!circuit) throw new UsageError(`unknown circuit "${name}" (known: ${Object.keys(config.circuits).join(', ')})`);
  return circuit;
}

/** Reads the circuit from a zkey name like threshold_release.zkey or threshold_release_final.zkey. */
function circuitFromFileName(config: BuildConfig, file: string): string {
  const name = Object.keys(config.circuits).find((n) => basename(file).startsWith(n));
  if (!name) throw new UsageError(`cannot tell the circuit from ${basename(file)}; pass --circuit NAME (it names the Solidity verifier)`);
  return name;
}

/** snarkjs prints hashes as 4 lines of 4 words; participants compare them as one hex string. */
function flattenHash(formatted: string): { title: string; hex: string } {
  const [title, ...rest] = formatted.split('\n');
  return { title: title.trim().replace(/:$/, ''), hex: rest.join('').replace(/\s+/g, '') };
}

/** What a ptau file's binfile header says: magic, version, then a table of (type u32, size u64) sections. */
async function readPtauHeader(path: string): Promise<{ power: number; preparedForPhase2: boolean }> {
  const file = await open(path, 'r');
  try {
    const read = async (position: number, length: number) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    const magic = await read(0, 12);
    if (magic.length < 12 || magic.toString('latin1', 0, 4) !== 'ptau') throw new Error(`${basename(path)} is not a ptau file`);
    const sections = new Map<number, number>();
    const { size } = await file.stat();
    for (let offset = 12; offset + 12 <= size; ) {
      const entry = await read(offset, 12);
      sections.set(entry.readUInt32LE(0), offset + 12);
      offset += 12 + Number(entry.readBigUInt64LE(4));
    }
    const header = sections.get(1);
    if (header === undefined) throw new Error(`${basename(path)} has no ptau header section`);
    const n8 = (await read(header, 4)).readUInt32LE(0);
    // Section 12 holds the Lagrange-basis points that "powersoftau prepare phase2" adds.
    return { power: (await read(header + 4 + n8, 4)).readUInt32LE(0), preparedForPhase2: sections.has(12) };
  } finally {
    await file.close();
  }
}

/** snarkjs's phase 2 needs a prepared ptau with a domain of 2^bitlength(constraints + public inputs + outputs). */
async function checkPtauFits(name: string, r1cs: string, ptau: string): Promise<void> {
  const info = (await snarkjs.r1cs.info(r1cs)) as { nConstraints: number; nPubInputs: number; nOutputs: number };
  const needed = (info.nConstraints + info.nPubInputs + info.nOutputs).toString(2).length;
  const { power, preparedForPhase2 } = await readPtauHeader(ptau);
  if (power < needed) throw new Error(`${basename(ptau)} has power ${power}, ${name} (${info.nConstraints} constraints) needs a ptau of power >= ${needed}`);
  if (!preparedForPhase2) throw new Error(`${basename(ptau)} is not prepared for phase 2 (snarkjs powersoftau prepare phase2)`);
}

async function runInit(values: Record<string, string | undefined>): Promise<void> {
  const [name, ptau, out] = required(values, 'init', ['circuit', 'ptau', 'out']);
  circuitConfig(await loadBuildConfig(), name);
  const r1cs = await ensureR1cs(name);
  await checkPtauFits(name, r1cs, ptau);
  await initialize(r1cs, ptau, out);
  console.log(`circuit      ${name} (r1cs sha256 ${await sha256File(r1cs)})`);
  console.log(`ptau sha256  ${await sha256File(ptau)}`);
  console.log(`wrote ${out} (sha256 ${await sha256File(out)}): publish it; the first hospital contributes to it`);
}

async function runContribute(values: Record<string, string | undefined>): Promise<void> {
  const [input, out, name] = required(values, 'contribute', ['in', 'out', 'name']);
  const entropy = values.entropy ?? randomBytes(32).toString('hex');
  const hash = await contribute(input, out, name, entropy);
  console.log(`contribution hash  ${hash}`);
  console.log(`wrote ${out} (sha256 ${await sha256File(out)})`);
  console.log('publish the file and the contribution hash; check the hash appears in "ceremony verify" of the final zkey');
}

async function runVerify(values: Record<string, string | undefined>): Promise<boolean> {
  const [name, ptau, zkey] = required(values, 'verify', ['circuit', 'ptau', 'zkey']);
  circuitConfig(await loadBuildConfig(), name);
  const r1cs = await ensureR1cs(name);
  await checkPtauFits(name, r1cs, ptau);
  const transcript: string[] = [];
  const errors: string[] = [];
  // The same check as ceremony.ts's verify, called with a logger: the transcript it logs (one
  // hash per contribution) is what each hospital reads to find its own contribution.
  const ok = await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, {
    debug: () => {},
    warn: (m) => errors.push(m),
    error: (m) => errors.push(m),
    info: (m) => {
      if (/^(contribution #|Circuit Hash)/.test(m)) {
        const { title, hex } = flattenHash(m);
        transcript.push(`${title.padEnd(40)} ${hex}`);
      } else if (/^Beacon /.test(m)) {
        transcript.push(`  ${m}`);
      }
    },
  });
  if (!ok) throw new Error(`${basename(zkey)} does NOT verify against ${name} and ${basename(ptau)}: ${errors[0]?.trim() ?? 'invalid transcript'}`);
  for (const line of transcript) console.log(line);
  console.log(`OK: ${basename(zkey)} (sha256 ${await sha256File(zkey)}) is a valid phase 2 of ${name} on ptau sha256 ${await sha256File(ptau)}`);
  return true;
}

async function runFinalize(values: Record<string, string | undefined>): Promise<void> {
  const [input, out, beacon, iterations, name] = required(values, 'finalize', ['in', 'out', 'beacon', 'iterations', 'name']);
  if (!/^\d+$/.test(iterations) || Number(iterations) < 1 || Number(iterations) > 63) {
    throw new UsageError(`--iterations must be an integer 1..63 (2^N beacon iterations), got "${iterations}"`);
  }
  const config = await loadBuildConfig();
  const circuit = circuitConfig(config, values.circuit ?? circuitFromFileName(config, out));
  const verificationKeyPath = join(dirname(out), `${basename(out).replace(/\.zkey$/, '')}.vkey.json`);
  const solidityVerifierPath = join(dirname(out), `${circuit.verifier}.sol`);
  const done = await finalize(input, out, { hash: beacon, iterationsExp: Number(iterations), name }, {
    verificationKeyPath,
    solidityVerifierPath,
    contractName: circuit.verifier,
  });
  console.log(`beacon contribution hash  ${done.beaconContributionHash}`);
  console.log('pin these (manifest, deployment record) and deploy the verifier:');
  for (const path of [out, verificationKeyPath, solidityVerifierPath]) console.log(`  sha256 ${await sha256File(path)}  ${path}`);
}

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help' || action === '-h') {
    console.log(HELP);
    return action ? 0 : 2;
  }
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        circuit: { type: 'string' },
        ptau: { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
        zkey: { type: 'string' },
        name: { type: 'string' },
        entropy: { type: 'string' },
        beacon: { type: 'string' },
        iterations: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const strings = values as Record<string, string | undefined>;
    switch (action) {
      case 'init':
        await runInit(strings);
        return 0;
      case 'contribute':
        await runContribute(strings);
        return 0;
      case 'verify':
        await runVerify(strings);
        return 0;
      case 'finalize':
        await runFinalize(strings);
        return 0;
      default:
        throw new UsageError(`unknown action "${action}" (init, contribute, verify, finalize)`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = message.split('\n')[0].replace(/^ceremony \w+: /, '');
    console.error(`careledger ceremony ${action}: ${line}`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  } finally {
    // snarkjs keeps its curve's worker threads alive, which would keep this process alive.
    await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
  }
}
