// Two in-process hospital nodes on one embedded anvil chain: A holds the data, B is the member
// whose practitioners read it (and holds EMERGENCY, so it may break the glass). Real stores,
// real grant caches, real chain; tests talk to the apps through app.inject.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessTokenStore } from '../../gateway/auth/access-token-store.js';
import { DEV_CLIENT_ID } from '../../gateway/auth/dev-client.js';
import { loadConfig } from '../../gateway/config.js';
import { signMemberJwt } from '../../gateway/consent/member-jwt.js';
import type { PurposeCode } from '../../gateway/consent/purpose-of-use.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { type RunningNode, startNode } from '../../gateway/node.js';
import { SqliteTokenStore } from '../../gateway/store/token-store.js';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain } from '../../network/embedded-chain.js';
import { memberNodeEnv } from './member-node-env.js';

export interface ConsentPair {
  a: RunningNode;
  b: RunningNode;
  /** A token of A's dev client narrowed to these scopes (what a less trusted EHR client holds). */
  tokenAt(node: RunningNode, scopes: string[]): Promise<string>;
  /** A member JWT of B addressed to A, signed with B's member key. */
  memberJwt(claims: { practitioner?: string; purpose?: PurposeCode; breakGlassReason?: string }): string;
  stop(): Promise<void>;
}

export async function startConsentPair(): Promise<ConsentPair> {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-consent-pair-'));
  const chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
  const nodes: RunningNode[] = [];
  try {
    const orgs = ['pair-hospital-a', 'pair-hospital-b'];
    const keys = orgs.map((orgId) => loadNodeKeys({ dataDir: join(dir, orgId), allowGenerate: true }));
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: orgs[0]!, roles: ['HOSPITAL'], signer: keys[0]!.memberWallet.address as Hex },
        { orgId: orgs[1]!, roles: ['HOSPITAL', 'EMERGENCY'], signer: keys[1]!.memberWallet.address as Hex },
      ],
      dataDir: join(dir, 'chain'),
    });
    for (const orgId of orgs) {
      nodes.push(await startNode(loadConfig(memberNodeEnv(deployed, orgId, join(dir, orgId), { BATCH_MAX_AGE_MS: '200' }))));
    }
    const [a, b] = nodes as [RunningNode, RunningNode];
    return {
      a,
      b,
      async tokenAt(node, scopes) {
        return (await new AccessTokenStore(new SqliteTokenStore(node.db)).issue(DEV_CLIENT_ID, scopes, Date.now(), 300_000)).accessToken;
      },
      memberJwt({ practitioner = 'dr-bob', purpose = 'TREAT', breakGlassReason }) {
        const now = Math.floor(Date.now() / 1000);
        return signMemberJwt(keys[1]!.memberWallet.privateKey, {
          iss: orgs[1]!,
          sub: practitioner,
          aud: a.config.publicUrl,
          iat: now,
          exp: now + 120,
          jti: randomUUID(),
          purpose,
          ...(breakGlassReason !== undefined ? { break_glass_reason: breakGlassReason } : {}),
        });
      },
      async stop() {
        for (const node of nodes) await node.close();
        await chain.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const node of nodes) await node.close();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The dev token of a node (system/*.cruds and, in dev mode, the dedicated staff scopes). */
export function devToken(node: RunningNode): string {
  return (JSON.parse(readFileSync(node.devFile!, 'utf8')) as { token: string }).token;
}
