// A local consortium for development and cross-institution tests: one embedded chain, N hospital
// nodes (each a separate process with its own port, data directory and member key, all
// registered at deploy), plus a researcher member's key for cohort queries, a licensing board's
// key for practitioner licences and a payer's key for claims.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NODE_FLAGS } from '../gateway/cli/node-flags.js';
import { loadNodeKeys } from '../gateway/keys/node-keys.js';
import { memberIdOf } from '../gateway/crypto/digest.js';
import type { Hex, MemberRoleName } from '../gateway/ledger/ports.js';
import { deployConsortium } from './deploy.js';
import { startEmbeddedChain, type EmbeddedChain } from './embedded-chain.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface ConsortiumOptions {
  hospitals: number;
  dataDir: string;
  /** Hospital i listens on basePort + i - 1. */
  basePort: number;
  /** Extra environment for every node (log level, batch policy...). */
  env?: Record<string, string>;
  /** Called with each line a node prints, prefixed with its org id. */
  onOutput?: (orgId: string, line: string) => void;
}

export interface ConsortiumMember {
  orgId: string;
  memberId: Hex;
  signer: Hex;
  roles: MemberRoleName[];
  dataDir: string;
}

export interface HospitalNode extends ConsortiumMember {
  port: number;
  baseUrl: string;
  fhirBase: string;
  process: ChildProcess;
}

export interface ConsortiumFile {
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, string>;
  hospitals: Array<Omit<HospitalNode, 'process'>>;
  researcher: ConsortiumMember;
  /** Issues and revokes practitioner licences (LICENSING); a key and a data dir, no node process. */
  licensingBoard: ConsortiumMember;
  /** Verifies claims (PAYER); a key and a data dir, no node process. */
  payer: ConsortiumMember;
}

export interface RunningConsortium extends ConsortiumFile {
  hospitals: HospitalNode[];
  chain: EmbeddedChain;
  stop(): Promise<void>;
}

export async function startConsortium(options: ConsortiumOptions): Promise<RunningConsortium> {
  if (!Number.isInteger(options.hospitals) || options.hospitals < 1 || options.hospitals > 16) {
    throw new Error('--hospitals must be between 1 and 16');
  }
  const dataDir = resolve(options.dataDir);
  const chainDir = join(dataDir, 'chain');
  const members: ConsortiumMember[] = [];
  for (let i = 1; i <= options.hospitals; i++) members.push(member(`hospital-${i}`, ['HOSPITAL'], join(dataDir, `hospital-${i}`)));
  const researcher = member('research-institute', ['RESEARCHER'], join(dataDir, 'researcher'));
  // A licensing body of its own rather than a hospital with the LICENSING role: a hospital that
  // licensed its own practitioners would make the licence check at a consult no check at all.
  const licensingBoard = member('licensing-board', ['LICENSING'], join(dataDir, 'licensing-board'));
  const payer = member('payer-1', ['PAYER'], join(dataDir, 'payer-1'));

  const chain = await startEmbeddedChain({ dataDir: chainDir });
  if (!chain.isolated) {
    options.onOutput?.('chain', 'the dev chain could not be isolated (no network namespaces here): any local process can use its cheat methods');
  }
  const children: ChildProcess[] = [];
  try {
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [...members, researcher, licensingBoard, payer].map((m) => ({ orgId: m.orgId, roles: m.roles, signer: m.signer })),
      dataDir: chainDir,
    });

    // Each node reaches the others' (a visit note goes to the patient's home hospital).
    const memberUrls = JSON.stringify(Object.fromEntries(members.map((m, index) => [m.orgId, `http://127.0.0.1:${options.basePort + index}`])));
    const hospitals = await Promise.all(
      members.map(async (m, index) => {
        const port = options.basePort + index;
        const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'start'], {
          cwd: ROOT,
          env: {
            ...process.env,
            TELEHEALTH_MEMBER_URLS: memberUrls,
            ...options.env,
            CARELEDGER_MODE: 'dev',
            CARELEDGER_ORG_ID: m.orgId,
            DATA_DIR: m.dataDir,
            PORT: String(port),
            CHAIN_RPC_URL: deployed.rpcUrl,
            CHAIN_ID: String(deployed.chainId),
            CHAIN_CONTRACTS: JSON.stringify(deployed.contracts),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(child);
        forwardLines(child, m.orgId, options.onOutput);
        const baseUrl = `http://127.0.0.1:${port}`;
        await waitUntilUp(baseUrl, child, m.orgId);
        return { ...m, port, baseUrl, fhirBase: `${baseUrl}/fhir`, process: child };
      }),
    );

    const file: ConsortiumFile = {
      rpcUrl: deployed.rpcUrl,
      chainId: deployed.chainId,
      contracts: deployed.contracts,
      hospitals: hospitals.map(({ process: _process, ...rest }) => rest),
      researcher,
      licensingBoard,
      payer,
    };
    writeFileSync(join(dataDir, 'consortium.json'), `${JSON.stringify(file, null, 2)}\n`);

    return {
      ...file,
      hospitals,
      chain,
      async stop() {
        await Promise.all(hospitals.map((h) => stopChild(h.process)));
        await chain.stop();
      },
    };
  } catch (error) {
    await Promise.all(children.map((child) => stopChild(child)));
    await chain.stop();
    throw error;
  }
}

function member(orgId: string, roles: MemberRoleName[], dataDir: string): ConsortiumMember {
  mkdirSync(dataDir, { recursive: true });
  const keys = loadNodeKeys({ dataDir, allowGenerate: true });
  return { orgId, memberId: memberIdOf(orgId), signer: keys.memberWallet.address.toLowerCase() as Hex, roles, dataDir };
}

function forwardLines(child: ChildProcess, orgId: string, onOutput?: (orgId: string, line: string) => void): void {
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) onOutput?.(orgId, line);
    });
  }
}

async function waitUntilUp(baseUrl: string, child: ChildProcess, orgId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${orgId} exited with code ${child.exitCode} during start`);
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${orgId} did not come up at ${baseUrl} within 60 s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}
