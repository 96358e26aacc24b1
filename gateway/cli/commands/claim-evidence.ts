// careledger claim evidence CLAIM_ID --out FILE [--node URL]: a claim's evidence Bundle in a file,
// what `careledger verify-claim` checks.
// --node URL  a payer fetches it from the hospital's node, with a member JWT (purpose HPAYMT)
//             signed by the payer's member key in $DATA_DIR (or CARELEDGER_MEMBER_KEY); the
//             node answers only for claims billed to that payer.
// no --node   the hospital's revenue-cycle team exports it from the stopped node of $DATA_DIR
//             (the same assembly the node runs); the export is audited like a staff fetch and
//             the AuditEvent is anchored when the node next runs.

import { randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OperationOutcomeError } from '@medplum/core';
import { evidenceAuditEvent } from '../../claims/evidence-audit.js';
import { assembleEvidence, readClaim } from '../../claims/evidence-bundle.js';
import { loadConfig } from '../../config.js';
import { signMemberJwt } from '../../consent/member-jwt.js';
import { memberIdOf } from '../../crypto/digest.js';
import { loadNodeKeys } from '../../keys/node-keys.js';
import { FHIR_BASE } from '../../server/fhir-bases.js';
import { openOfflineStore } from '../offline-store.js';

const HELP = `usage: careledger claim evidence CLAIM_ID --out FILE [--node URL] [--org ORG_ID] [--as NAME]

Writes the claim's evidence (a FHIR Bundle: the Claim, what it cites, each one's receipt as a
Provenance) to FILE, for careledger verify-claim.
--node URL  fetch it from the hospital node at URL (its public URL, e.g. https://h1.example:8080)
            as the payer member whose key is in $DATA_DIR/keys (or CARELEDGER_MEMBER_KEY);
            --org (default $CARELEDGER_ORG_ID) is that payer's org id, --as names the adjuster
            (default claims-adjuster), recorded in the hospital's AuditEvent.
Without --node, exports from the stopped hospital node of $DATA_DIR.
Exit 0: written. Exit 1: refused, not found or not anchored yet (the reason on stderr). Exit 2: usage.`;

/** Who the AuditEvent of an offline export names: the command itself, run by whoever holds DATA_DIR. */
const OFFLINE_CLIENT = 'careledger-claim-evidence-offline';

class Refused extends Error {}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    console.log(HELP);
    return 0;
  }
  if (sub !== 'evidence') return usage('expected "evidence"');
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { out: { type: 'string' }, node: { type: 'string' }, org: { type: 'string' }, as: { type: 'string' } },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  const claimId = positionals[0];
  if (!claimId || positionals.length !== 1) return usage('CLAIM_ID is required (one)');
  if (!values.out) return usage('--out FILE is required');
  try {
    const bundle = values.node ? await fetchFromNode(values.node, claimId, values.org ?? process.env.CARELEDGER_ORG_ID, values.as) : await exportOffline(claimId);
    writeFileSync(`${values.out}.tmp`, `${JSON.stringify(bundle, null, 2)}\n`);
    renameSync(`${values.out}.tmp`, values.out);
    const entries = (bundle.entry as unknown[]).length;
    console.log(`wrote ${values.out}: evidence of Claim/${claimId}, ${entries / 2} resources each with its receipt`);
    return 0;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    console.error(`careledger claim evidence: ${error.message}`);
    return 1;
  }
}

async function fetchFromNode(node: string, claimId: string, orgId: string | undefined, adjuster: string | undefined): Promise<{ entry: unknown[] }> {
  if (!orgId) throw new Refused('the payer org id is unknown: pass --org ORG_ID or set CARELEDGER_ORG_ID');
  const base = node.replace(/\/+$/, '').replace(/\/fhir$/, '');
  const keys = loadNodeKeys({
    dataDir: resolve(process.env.DATA_DIR ?? './data'),
    memberPrivateKey: process.env.CARELEDGER_MEMBER_KEY,
    keystorePassword: process.env.CARELEDGER_KEYSTORE_PASSWORD,
    masterKeyHex: process.env.CARELEDGER_MASTER_KEY,
    allowGenerate: false,
  });
  const now = Math.floor(Date.now() / 1000);
  const token = signMemberJwt(keys.memberWallet.privateKey, {
    iss: memberIdOf(orgId),
    sub: adjuster ?? 'claims-adjuster',
    aud: base,
    iat: now,
    exp: now + 60,
    jti: randomUUID(),
    purpose: 'HPAYMT',
  });
  let response: Response;
  try {
    response = await fetch(`${base}${FHIR_BASE}/Claim/${encodeURIComponent(claimId)}/$evidence`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
  } catch (error) {
    throw new Refused(`cannot reach ${base}: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => null)) as { resourceType?: string; entry?: unknown[]; issue?: Array<{ details?: { text?: string }; diagnostics?: string }> } | null;
  if (response.status === 202) {
    throw new Refused(`the evidence is not anchored yet; retry in ${response.headers.get('retry-after') ?? 'a few'} s`);
  }
  if (response.status !== 200 || body?.resourceType !== 'Bundle') {
    const text = body?.issue?.[0]?.details?.text ?? body?.issue?.[0]?.diagnostics ?? `HTTP ${response.status}`;
    throw new Refused(`${base} answered ${response.status}: ${text}`);
  }
  return body as { entry: unknown[] };
}

async function exportOffline(claimId: string): Promise<{ entry: unknown[] }> {
  const config = loadConfig();
  let node;
  try {
    node = openOfflineStore(config);
  } catch (error) {
    throw new Refused((error as Error).message);
  }
  try {
    const claim = await readClaim(node.store, claimId).catch((error: unknown) => {
      if (error instanceof OperationOutcomeError) throw new Refused(`Claim/${claimId}: ${error.outcome.id === 'gone' ? 'deleted' : 'not found'} in ${config.dataDir}`);
      throw error;
    });
    const result = await assembleEvidence(node.store, claim, { baseUrl: `${config.publicUrl}${FHIR_BASE}` });
    if (result.status === 'pending') {
      throw new Refused(`${result.waitingFor.length} version(s) are not anchored yet (first ${result.waitingFor[0]}): start the node and let it anchor, then export again`);
    }
    const patient = (claim.patient as { reference?: unknown } | undefined)?.reference;
    await node.store.create(
      evidenceAuditEvent({
        recorded: new Date(),
        node: { memberId: memberIdOf(config.orgId), orgId: config.orgId },
        caller: { kind: 'staff', clientId: OFFLINE_CLIENT },
        claimId,
        outcome: 'allowed',
        versions: result.versions,
        ...(typeof patient === 'string' && patient.startsWith('Patient/') ? { patient } : {}),
      }),
    );
    return result.bundle as unknown as { entry: unknown[] };
  } finally {
    node.close();
  }
}

function usage(message: string): number {
  console.error(`careledger claim: ${message}\n${HELP}`);
  return 2;
}
