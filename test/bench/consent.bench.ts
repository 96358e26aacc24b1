// Consent figures for `npm run bench`: two real nodes in this process (hospital A serves, B's
// practitioner reads) on one embedded anvil chain, with their real stores, caches and pollers.
//   consentCheckP95Ms     p95 of the consent decision a member read makes at A (patient address,
//                         grant cache, scope, purpose, window, category) with a warm cache.
//   revocationVisibleMs   worst case, over several wallet revocations sent straight to the chain,
//                         from the revoking transaction's receipt to the moment both nodes' grant
//                         caches show it revoked (what every later read at either node honours).
// Also reported: p95 of a whole member read over HTTP at A (JWT check, decision, AuditEvent
// commit) against a staff read of the same resource, for context.

import { Contract, Wallet } from 'ethers';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain } from '../../network/embedded-chain.js';
import { loadConfig } from '../../gateway/config.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import { consentRegistryInterface } from '../../gateway/ledger/evm/consent-port.js';
import { createEvmProvider } from '../../gateway/ledger/evm/provider.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { type RunningNode, startNode } from '../../gateway/node.js';
import { grantCovering } from '../../gateway/consent/consent-decision.js';
import { READ_ACTION } from '../../gateway/consent/consent-scope.js';
import type { MemberPrincipal } from '../../gateway/consent/member-authenticator.js';
import { signMemberJwt } from '../../gateway/consent/member-jwt.js';
import { practitionerHash } from '../../gateway/consent/typed-data.js';
import type { GrantCache } from '../../gateway/consent/grant-cache.js';
import { eventually } from '../support/eventually.js';
import { memberNodeEnv } from '../support/member-node-env.js';

export interface ConsentBenchResult {
  consentCheckP95Ms: number;
  revocationVisibleMs: number;
  /** Context: whole member read over HTTP at the serving node vs a staff read, p95 in ms. */
  memberReadP95Ms: number;
  staffReadP95Ms: number;
}

export async function benchConsent(options: { checks?: number; reads?: number; revocations?: number } = {}): Promise<ConsentBenchResult> {
  const checks = options.checks ?? 5_000;
  const reads = options.reads ?? 200;
  const revocations = options.revocations ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'careledger-bench-consent-'));
  const chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
  const provider = createEvmProvider({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, pollingIntervalMs: 50 });
  const nodes: RunningNode[] = [];
  try {
    const orgs = ['bench-hospital-a', 'bench-hospital-b'];
    const keys = orgs.map((orgId) => loadNodeKeys({ dataDir: join(dir, orgId), allowGenerate: true }));
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: orgs.map((orgId, i) => ({ orgId, roles: ['HOSPITAL'], signer: keys[i]!.memberWallet.address as Hex })),
      dataDir: join(dir, 'chain'),
    });
    for (const orgId of orgs) {
      nodes.push(
        await startNode(loadConfig(memberNodeEnv(deployed, orgId, join(dir, orgId)))),
      );
    }
    const [a, b] = nodes as [RunningNode, RunningNode];
    const consentA = a.consent!;
    const memberB = b.chain.memberId;

    await a.store.update('Patient', 'bench-p', { resourceType: 'Patient', id: 'bench-p', gender: 'female' });
    await a.store.update('Observation', 'bench-o', observation('bench-o', 'bench-p'));
    await consentA.service.grant('bench-p', {
      grantee: { orgId: orgs[1]!, practitioner: 'dr-bench' },
      actions: ['access'],
      categories: ['Observation:laboratory', 'Patient'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 3600,
    });

    // The decision alone, warm: the state every member read consults.
    const principal: MemberPrincipal = {
      kind: 'member',
      memberId: memberB,
      orgId: orgs[1]!,
      roles: 1,
      signer: keys[1]!.memberWallet.address.toLowerCase() as Hex,
      practitionerId: 'dr-bench',
      practitionerHash: practitionerHash(memberB, 'dr-bench'),
      purpose: 'TREAT',
      jti: 'bench',
    };
    const resource = (await a.store.read('Observation', 'bench-o')).resource;
    const decisionTimes: number[] = [];
    for (let i = 0; i < checks; i++) {
      const started = performance.now();
      const decision = consentA.enforcer.decide(principal, 'bench-p', 'Observation');
      if (decision.kind !== 'grants' || !grantCovering(decision.grants, READ_ACTION, resource)) throw new Error('the bench grant does not cover its read');
      decisionTimes.push(performance.now() - started);
    }

    const { token } = JSON.parse(readFileSync(a.devFile!, 'utf8')) as { token: string };
    const staffTimes = await timeReads(reads, () => fetch(`${a.fhirBase}/Observation/bench-o`, { headers: { authorization: `Bearer ${token}` } }));
    // Minted beforehand: the caller's signing time is not the serving node's overhead.
    const now = Math.floor(Date.now() / 1000);
    const jwts = Array.from({ length: reads }, () =>
      signMemberJwt(keys[1]!.memberWallet.privateKey, {
        iss: orgs[1]!,
        sub: 'dr-bench',
        aud: a.config.publicUrl,
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        purpose: 'TREAT',
      }),
    );
    let next = 0;
    const memberTimes = await timeReads(reads, () =>
      fetch(`${a.fhirBase}/Observation/bench-o`, { headers: { authorization: `Bearer ${jwts[next++]}` } }),
    );

    // Revocations straight from a patient wallet to the chain; both nodes must notice.
    let worst = 0;
    for (let i = 0; i < revocations; i++) {
      const patientId = `bench-w${i}`;
      await a.store.update('Patient', patientId, { resourceType: 'Patient', id: patientId });
      const wallet = new Wallet(Wallet.createRandom().privateKey, provider);
      await consentA.keys.linkWallet(patientId, wallet.address, await wallet.signMessage(consentA.keys.linkStatement(patientId, wallet.address)));
      const terms = { grantee: { orgId: orgs[1]! }, actions: ['access'], categories: ['Observation'], purposes: ['TREAT'], notAfter: Math.floor(Date.now() / 1000) + 3600 };
      const request = await consentA.service.consentTypedData(patientId, terms);
      const signature = await wallet.signTypedData(request.domain, request.types, request.message);
      const { grantId } = await consentA.service.grant(patientId, { ...terms, notBefore: request.message.notBefore, nonce: request.message.nonce, signature });
      await Promise.all(nodes.map((n) => eventually(() => cached(n, grantId, (grant) => grant !== undefined), 15_000, 2)));
      const registry = new Contract(deployed.contracts.ConsentRegistry!, consentRegistryInterface, wallet);
      await (await registry.getFunction('revoke')(grantId, { gasPrice: 0, type: 0 })).wait();
      const mined = performance.now();
      await Promise.all(nodes.map((n) => eventually(() => cached(n, grantId, (grant) => grant?.revokedAt != null), 15_000, 2)));
      worst = Math.max(worst, performance.now() - mined);
    }

    return {
      consentCheckP95Ms: round(percentile(decisionTimes, 95)),
      revocationVisibleMs: Math.round(worst),
      memberReadP95Ms: round(percentile(memberTimes, 95)),
      staffReadP95Ms: round(percentile(staffTimes, 95)),
    };
  } finally {
    for (const node of nodes) await node.close();
    provider.destroy();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function observation(id: string, patientId: string) {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
    subject: { reference: `Patient/${patientId}` },
    valueQuantity: { value: 6.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
  };
}

async function timeReads(count: number, read: () => Promise<Response>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await read();
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`bench read answered ${response.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

/** Throws until the node's grant cache holds the grant in the state `ready` asks for (for eventually). */
function cached(node: RunningNode, grantId: Hex, ready: (grant: ReturnType<GrantCache['get']>) => boolean): void {
  if (!ready(node.consent!.cache.get(grantId))) throw new Error(`grant ${grantId} has not reached the grant cache of ${node.config.orgId}`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
