// <DATA_DIR>/dev.json: what a developer, the CLI (cli/dev-target.ts) and the tests need to talk
// to a dev node without configuring anything: the FHIR base, a fresh token for the dev client
// and how to renew it, and the chain the node anchors on. Written only in dev mode, 0600.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthStores } from './auth/ports.js';
import { ensureDevClient } from './auth/dev-client.js';
import type { Hex, LedgerDescriptor, LedgerKind } from './ledger/ports.js';

export interface DevFile {
  fhirBase: string;
  token: string;
  tokenExpiresAt: string;
  tokenUrl: string;
  clientId: string;
  privateKeyPath: string;
  refreshCommand: string;
  /** The chain descriptor: the ledger kind first, then that kind's fields (for EVM these three). */
  ledger: LedgerKind;
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, string>;
  memberId: string;
  orgId: string;
}

export interface DevFileSources {
  dataDir: string;
  publicUrl: string;
  fhirBase: string;
  orgId: string;
  chain: { descriptor: LedgerDescriptor; memberId: Hex };
}

/** Registers the dev client if needed, mints its token and writes dev.json; returns its path. */
export async function writeDevFile(auth: AuthStores, sources: DevFileSources): Promise<string> {
  const client = await ensureDevClient(auth, sources.dataDir, { publicBaseUrl: sources.publicUrl });
  const path = join(sources.dataDir, 'dev.json');
  const dev: DevFile = {
    fhirBase: sources.fhirBase,
    token: client.accessToken,
    tokenExpiresAt: client.expiresAt,
    tokenUrl: client.tokenUrl,
    clientId: client.clientId,
    privateKeyPath: client.privateKeyPath,
    refreshCommand: client.refreshCommand,
    ledger: sources.chain.descriptor.kind,
    rpcUrl: sources.chain.descriptor.rpcUrl,
    chainId: sources.chain.descriptor.chainId,
    contracts: sources.chain.descriptor.contracts,
    memberId: sources.chain.memberId,
    orgId: sources.orgId,
  };
  writeFileSync(path, `${JSON.stringify(dev, null, 2)}\n`, { mode: 0o600 });
  return path;
}
