// Two in-process hospital nodes on one embedded anvil chain for telehealth: A is the patient's
// home hospital (it holds the patient and records their consent), B hosts the consult. A third
// member, a licensing board, runs no node: it only registers practitioners' licences on
// LicenceRegistry. Real stores, real registries, real HTTP on 127.0.0.1. With `memberUrls`, each
// node knows the other's URL (TELEHEALTH_MEMBER_URLS), as on a consortium.

import { Wallet } from 'ethers';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../gateway/config.js';
import { signMemberJwt } from '../../gateway/consent/member-jwt.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import { connectEvmLedger, type EvmLedger } from '../../gateway/ledger/evm/connect.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { type RunningNode, startNode } from '../../gateway/node.js';
import { freePort } from '../../gateway/server/free-port.js';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../network/embedded-chain.js';
import { memberNodeEnv } from './member-node-env.js';

export interface ConsultNodes {
  chain: EmbeddedChain;
  a: RunningNode;
  b: RunningNode;
  orgs: { a: string; b: string; licensing: string };
  /** The licensing board's ledger: registers licences. */
  board: EvmLedger;
  /** A practitioner key with a licence valid for an hour, registered by the board. */
  licensedPractitioner(): Promise<{ key: Wallet; credentialHash: Hex }>;
  /** A member JWT of A for its practitioner, addressed to B. */
  memberJwtOfA(practitioner: string): string;
  /** A node's dev token (system/*.cruds and the dedicated scopes). */
  staff(node: RunningNode): string;
  stop(): Promise<void>;
}

export async function startConsultNodes(prefix: string, options: { memberUrls?: boolean } = {}): Promise<ConsultNodes> {
  const dir = mkdtempSync(join(tmpdir(), `careledger-${prefix}-`));
  const chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
  const nodes: RunningNode[] = [];
  let board: EvmLedger | undefined;
  const orgs = { a: `${prefix}-home-a`, b: `${prefix}-host-b`, licensing: `${prefix}-board` };
  try {
    const keys = [orgs.a, orgs.b, orgs.licensing].map((orgId) => loadNodeKeys({ dataDir: join(dir, orgId), allowGenerate: true }));
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: orgs.a, roles: ['HOSPITAL'], signer: keys[0]!.memberWallet.address as Hex },
        { orgId: orgs.b, roles: ['HOSPITAL'], signer: keys[1]!.memberWallet.address as Hex },
        { orgId: orgs.licensing, roles: ['LICENSING'], signer: keys[2]!.memberWallet.address as Hex },
      ],
      dataDir: join(dir, 'chain'),
    });
    // The URLs must be known before either node starts: fixed free ports.
    const ports = options.memberUrls ? { [orgs.a]: await freePort('127.0.0.1'), [orgs.b]: await freePort('127.0.0.1') } : null;
    const linked: Record<string, string> = ports ? { TELEHEALTH_MEMBER_URLS: JSON.stringify(Object.fromEntries(Object.entries(ports).map(([orgId, port]) => [orgId, `http://127.0.0.1:${port}`]))) } : {};
    for (const orgId of [orgs.a, orgs.b]) {
      nodes.push(
        await startNode(loadConfig(memberNodeEnv(deployed, orgId, join(dir, orgId), { PORT: String(ports?.[orgId] ?? 0), ...linked, BATCH_MAX_AGE_MS: '200' }))),
      );
    }
    board = await connectEvmLedger({ kind: 'evm', rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts: deployed.contracts, privateKey: keys[2]!.memberWallet.privateKey as Hex, pollingIntervalMs: 50 });
    const [a, b] = nodes as [RunningNode, RunningNode];
    const licences = board.licences!;
    return {
      chain,
      a,
      b,
      orgs,
      board,
      async licensedPractitioner() {
        const wallet = Wallet.createRandom();
        const now = Math.floor(Date.now() / 1000);
        const credentialHash = `0x${Buffer.from(randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''), 'hex').toString('hex')}` as Hex;
        await licences.issue(credentialHash, wallet.address.toLowerCase() as Hex, now - 60, now + 3600);
        return { key: new Wallet(wallet.privateKey), credentialHash };
      },
      memberJwtOfA(practitioner) {
        const now = Math.floor(Date.now() / 1000);
        return signMemberJwt(keys[0]!.memberWallet.privateKey, { iss: orgs.a, sub: practitioner, aud: b.config.publicUrl, iat: now, exp: now + 120, jti: randomUUID(), purpose: 'TREAT' });
      },
      staff(node) {
        return (JSON.parse(readFileSync(node.devFile!, 'utf8')) as { token: string }).token;
      },
      async stop() {
        await board?.close();
        for (const node of nodes) await node.close();
        await chain.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await board?.close();
    for (const node of nodes) await node.close();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
