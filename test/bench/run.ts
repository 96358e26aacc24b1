// npm run bench: the node's figures, each against a baseline measured in the same run.
// Prints a table, then one last line of JSON for tools. BENCH_ONLY=<section>,... runs only those.
//
//   pipeline   NDJSON import (R4) of BENCH_RESOURCES generated resources into a real node process
//              on the embedded chain: validated (medplum R4 + R5), converted, journaled, batched;
//              anchored batches, p95 from acknowledgement to receipt, peak RSS of the node. The
//              node first imports BENCH_WARMUP_RESOURCES others, reported on their own row: a
//              freshly started node runs its first ~10,000 resources at half to three quarters of its
//              steady speed (JIT and heap warm-up), which is not what a running hospital node sees.
//   baseline   the same chain, each resource anchored in its own transaction, 64 in flight.
//   hl7        ADT/ORU over MLLP into a real store, ACK after commit.
//   search     store intake with the R5 search index (on the calling thread, and on the index
//              writer thread as in the node) against the index before #15, and search
//              latency (name + birthdate, chained patient.identifier, code + value-quantity).
//   rest sync  incremental pull from a Medplum FHIR server into a real store.
//   zk         Groth16 proving and verification of the committed cohort circuits.
//   consent    the consent decision on a read, a member read over HTTP vs a staff read, and
//              how long a revocation takes to reach every node.
//   telehealth chain  gas and transactions per completed consult through TelehealthRegistry,
//              against every state change and join as its own transaction; gas per call.
//   telehealth messages  a chat message and a photo posted (sealed under their own keys, hash-only
//              Communication) against the text inside a Communication; the retention purge's rate.
//   telehealth workflow  p50/p95 of a consult step and of a join token issue at the host (live
//              chain-read checks), against the same check-in waiting for its block.
//   telehealth relay  the signaling relay (own process) under 500 consults / 1,000 sockets at
//              2,000 msg/s: latency, RSS, CPU, join latency, against a bare ws forwarder.
//   claims evidence  GET Claim/{id}/$evidence as the payer (claims citing 10 resources), p50/p95,
//              against fetching the same resources and their $receipt one request at a time.
//   verify-claim  a payer's claim verification (claims citing 10 resources, warm chain cache),
//              claims per second on one core, against `careledger verify` once per cited resource.
//   crypto     canonicalization + hashing per resource; a 4,096-leaf tree with all its proofs.
//   console    first load to interactive of the web console in Chromium (sign-in page, Operations
//              view signed in), against loading /fhir/metadata in the same browser; gzip bundle size.
//   console claims  a claim (11 resources) verified in the Claims view, in the browser against the
//              chain, cold context each round, against the CLI's verify-claim steps in Node.

import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { benchHl7 } from './hl7.bench.js';
import { benchSearch } from './search.bench.js';
import { benchRestSync } from './rest-sync.bench.js';
import { benchConsent } from './consent.bench.js';
import { benchZk } from './zk.bench.js';
import { benchClaimsEvidence } from './claims-evidence.bench.js';
import { benchVerifyClaim } from './verify-claim.bench.js';
import { benchConsole } from './console.bench.js';
import { benchConsoleClaims } from './console-claims.bench.js';
import { benchOidcBearer } from './oidc-bearer.bench.js';
import { benchTelehealthChain } from './telehealth-chain.bench.js';
import { benchTelehealthMessages } from './telehealth-messages.bench.js';
import { benchTelehealthRelay } from './telehealth-relay.bench.js';
import { benchTelehealthWorkflow } from './telehealth-workflow.bench.js';
import { generateHl7Messages } from '../support/synthetic-hl7.js';
import { convertR4toR5 } from '../../fhir-adapters/conversion/index.js';
import { validateR5 } from '../../fhir-adapters/validation/index.js';
import { importNdjson, ndjsonFiles } from '../../gateway/cli/ndjson-import.js';
import { tokenSource } from '../../gateway/cli/dev-target.js';
import { resourceDigest } from '../../gateway/crypto/digest.js';
import { MerkleTree } from '../../gateway/crypto/merkle.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { IntakePipeline } from '../../gateway/intake/pipeline.js';
import { openDatabase } from '../../gateway/store/database.js';
import { ResourceStore } from '../../gateway/store/resource-store.js';
import { SearchIndexer } from '../../gateway/store/search-index.js';
import { Vault } from '../../gateway/store/vault.js';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain } from '../../network/embedded-chain.js';
import { waitForAnchoring } from '../support/fhir-client.js';
import { startNodeProcess } from '../support/node-process.js';
import { syntheticR4 } from '../support/synthetic-fhir.js';
import { runPerResourceBaseline } from './baseline.bench.js';

const ROOT = resolve(import.meta.dirname, '../..');
const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 100_000);
const BASELINE_RESOURCES = Number(process.env.BENCH_BASELINE_RESOURCES ?? 1_000);
const R5_RESOURCES = Number(process.env.BENCH_R5_RESOURCES ?? 30_000);
const WARMUP_RESOURCES = Number(process.env.BENCH_WARMUP_RESOURCES ?? 10_000);
const SYNTHEA = join(ROOT, '../shared/data/synthea-10');

interface Row {
  figure: string;
  value: string;
  baseline?: string;
  note?: string;
}

const rows: Row[] = [];
const summary: Record<string, number> = {};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function writeNdjson(path: string, resources: object[]): Promise<void> {
  const out = createWriteStream(path);
  for (const resource of resources) {
    if (!out.write(`${JSON.stringify(resource)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
}

async function pipelineAndBaseline(work: string): Promise<void> {
  const chainDir = join(work, 'chain');
  const nodeDir = join(work, 'node');
  const chain = await startEmbeddedChain({ dataDir: chainDir });
  try {
    const nodeKeys = loadNodeKeys({ dataDir: nodeDir, allowGenerate: true });
    const baselineAccount = chain.accounts[1]!;
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: 'bench-hospital', roles: ['HOSPITAL'], signer: nodeKeys.memberWallet.address as Hex },
        { orgId: 'baseline-hospital', roles: ['HOSPITAL'], signer: baselineAccount.address },
      ],
      dataDir: chainDir,
    });

    // The baseline runs first, on the fresh chain: it only gets slower once the chain is long.
    const baseline = await runPerResourceBaseline({
      rpcUrl: deployed.rpcUrl,
      chainId: deployed.chainId,
      anchorRegistry: deployed.contracts.AnchorRegistry,
      privateKey: baselineAccount.privateKey,
      resources: syntheticR4(BASELINE_RESOURCES, { prefix: 'baseline' }),
      inFlight: 64,
    });
    summary.baselineResourcesPerSec = Math.round(baseline.resourcesPerSec);
    rows.push({
      figure: `baseline: ${baseline.resources} resources, one anchor transaction each, 64 in flight`,
      value: `${summary.baselineResourcesPerSec}/s`,
      note: `${baseline.seconds.toFixed(1)} s; ${baseline.anvilStalls} dropped transaction(s) sent again`,
    });

    const ndjson = join(work, 'resources.ndjson');
    await writeNdjson(ndjson, syntheticR4(RESOURCES, { prefix: 'bench' }));
    const warmupNdjson = join(work, 'warmup.ndjson');
    await writeNdjson(warmupNdjson, syntheticR4(WARMUP_RESOURCES, { prefix: 'bench-warmup' }));
    const node = await startNodeProcess({
      dataDir: nodeDir,
      env: {
        CARELEDGER_MODE: 'dev',
        CARELEDGER_ORG_ID: 'bench-hospital',
        CHAIN_RPC_URL: deployed.rpcUrl,
        CHAIN_ID: String(deployed.chainId),
        CHAIN_CONTRACTS: JSON.stringify(deployed.contracts),
        LOG_LEVEL: 'warn',
      },
    });
    try {
      const warmup = await importNdjson(
        [warmupNdjson],
        { fhirBase: `${node.dev.fhirBase}/R4`, token: tokenSource({ dataDir: nodeDir }) },
        { bundleSize: 500, concurrency: 8 },
      );
      if (warmup.failed > 0) throw new Error(`pipeline warm-up: ${warmup.failed} resources failed: ${JSON.stringify(warmup.failures[0])}`);
      summary.coldResourcesPerSec = Math.round(warmup.sent / warmup.seconds);
      rows.push({
        figure: `pipeline: the first ${warmup.sent} R4 resources a freshly started node takes (warm-up)`,
        value: `${summary.coldResourcesPerSec}/s`,
        note: 'not in the figure below; the same import on the same node',
      });
      const imported = await importNdjson(
        [ndjson],
        { fhirBase: `${node.dev.fhirBase}/R4`, token: tokenSource({ dataDir: nodeDir }) },
        { bundleSize: 500, concurrency: 8 },
      );
      if (imported.failed > 0) throw new Error(`pipeline: ${imported.failed} resources failed: ${JSON.stringify(imported.failures[0])}`);
      const anchoredAfter = performance.now();
      await waitForAnchoring(node.baseUrl, 300_000);
      const drainSeconds = (performance.now() - anchoredAfter) / 1000;
      const rssMb = peakRssMb(node.child.pid!);

      const db = new Database(join(nodeDir, 'careledger.db'), { readonly: true });
      const batches = (db.prepare("SELECT COUNT(*) AS n FROM batches WHERE status = 'anchored'").get() as { n: number }).n;
      const latencies = (
        db
          .prepare('SELECT b.anchored_at - j.received_at AS ms FROM journal j JOIN batches b ON j.seq BETWEEN b.first_seq AND b.last_seq')
          .all() as Array<{ ms: number }>
      ).map((row) => row.ms);
      db.close();

      summary.resourcesPerSec = Math.round(imported.sent / imported.seconds);
      summary.speedupOverBaseline = Number((summary.resourcesPerSec / summary.baselineResourcesPerSec!).toFixed(1));
      // Batches and receipt latencies cover the warm-up's resources too.
      summary.txPer1000 = Number(((batches * 1000) / (imported.sent + warmup.sent)).toFixed(2));
      summary.p95ReceiptMs = percentile(latencies, 95);
      summary.rssMb = rssMb;
      rows.push({ figure: `pipeline: ${imported.sent} R4 resources imported after the warm-up (NDJSON, batch Bundles of 500, 8 in flight)`, value: `${summary.resourcesPerSec}/s`, baseline: `${summary.baselineResourcesPerSec}/s`, note: `${imported.seconds.toFixed(1)} s, ${summary.speedupOverBaseline}x the baseline` });
      rows.push({ figure: 'pipeline: anchor transactions per 1,000 resources', value: String(summary.txPer1000), baseline: '1000', note: `${batches} batches` });
      rows.push({ figure: `pipeline: p50 / p95 acknowledgement to receipt (all ${imported.sent + warmup.sent})`, value: `${percentile(latencies, 50)} / ${summary.p95ReceiptMs} ms`, note: `anchoring drained ${drainSeconds.toFixed(1)} s after the last 201` });
      rows.push({ figure: `pipeline: node peak RSS (VmHWM) over all ${imported.sent + warmup.sent}`, value: `${rssMb} MB` });

      // The same resources already in R5, at the R5 base: no medplum R4 validation or conversion.
      const r5File = join(work, 'resources-r5.ndjson');
      await writeNdjson(r5File, syntheticR4(R5_RESOURCES, { prefix: 'bench-r5' }).map((resource) => convertR4toR5(resource).resource));
      const r5 = await importNdjson([r5File], { fhirBase: node.dev.fhirBase, token: tokenSource({ dataDir: nodeDir }) }, { bundleSize: 500, concurrency: 8 });
      if (r5.failed > 0) throw new Error(`pipeline R5: ${r5.failed} resources failed: ${JSON.stringify(r5.failures[0])}`);
      summary.r5ResourcesPerSec = Math.round(r5.sent / r5.seconds);
      rows.push({ figure: `pipeline: ${r5.sent} R5 resources imported at the R5 base (structural R5 validation)`, value: `${summary.r5ResourcesPerSec}/s`, note: `${r5.seconds.toFixed(1)} s` });
    } finally {
      await node.kill('SIGTERM');
    }

  } finally {
    await chain.stop();
  }
}

async function synthea(work: string): Promise<void> {
  if (!existsSync(SYNTHEA)) {
    rows.push({ figure: 'synthea-10 import', value: 'skipped', note: `${SYNTHEA} absent` });
    return;
  }
  const nodeDir = join(work, 'synthea-node');
  const node = await startNodeProcess({ dataDir: nodeDir, env: { LOG_LEVEL: 'warn' } });
  try {
    const result = await importNdjson(ndjsonFiles(SYNTHEA), { fhirBase: `${node.dev.fhirBase}/R4`, token: tokenSource({ dataDir: nodeDir }) }, { bundleSize: 500, concurrency: 4 });
    summary.syntheaResourcesPerSec = Math.round(result.sent / result.seconds);
    rows.push({ figure: `synthea-10: careledger import of ${result.sent} resources (10 MB, DocumentReference-heavy)`, value: `${summary.syntheaResourcesPerSec}/s`, note: `${result.failed} failed` });
  } finally {
    await node.kill('SIGTERM');
  }
}

async function hl7(work: string): Promise<void> {
  const db = openDatabase(join(work, 'hl7.db'));
  const key = randomBytes(32);
  const store = new IntakePipeline({
    store: new ResourceStore({
      db,
      vault: new Vault(db, key),
      indexer: new SearchIndexer(key),
      isKnownType: () => true,
      receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] },
    }),
    validate: validateR5,
    isKnownType: () => true,
  });
  const messages = generateHl7Messages(4_000);
  const single = await benchHl7({ intake: store, messages: messages.slice(0, 500), concurrency: 1 });
  const many = await benchHl7({ intake: store, messages, concurrency: 32 });
  db.close();
  summary.hl7MessagesPerSec = Math.round(many.messagesPerSecond);
  rows.push({
    figure: `hl7: ${many.messages} ADT/ORU messages over MLLP, AA after commit, 32 connections`,
    value: `${summary.hl7MessagesPerSec} msg/s`,
    baseline: `${Math.round(single.messagesPerSecond)} msg/s on 1 connection`,
    note: `ACK p95 ${many.ackLatencyMs.p95} ms`,
  });
}

async function search(): Promise<void> {
  const result = await benchSearch();
  summary.searchIntakePerSec = result.intakePerSec;
  summary.searchIntakeChangePercent = result.changePercent;
  rows.push({
    figure: `search: store intake of ${result.resources} resources with the R5 search index (${result.indexRowsPerResource} rows per resource)`,
    value: `${result.intakePerSec}/s`,
    baseline: `${result.baselinePerSec}/s`,
    note: `${result.changePercent}%; baseline: the index before #15 (identifiers, references), median of ${result.rounds} alternating rounds`,
  });
  summary.searchThreadIntakePerSec = result.threadPerSec;
  summary.searchThreadIntakeChangePercent = result.threadChangePercent;
  rows.push({
    figure: `search: the same, the index built and written by the index writer thread (as the node runs it)`,
    value: `${result.threadPerSec}/s`,
    baseline: `${result.baselinePerSec}/s`,
    note: `${result.threadChangePercent}%; same baseline and rounds`,
  });
  for (const query of result.searches) {
    rows.push({ figure: `search: ${query.name} over that store, p50 / p95`, value: `${query.p50Ms} / ${query.p95Ms} ms`, note: `${query.matches} matches` });
  }
}

async function restSync(): Promise<void> {
  const result = await benchRestSync({ resources: 2000, pageSize: 200 });
  summary.restSyncResourcesPerSec = Math.round(result.resourcesPerSecond);
  rows.push({ figure: `rest sync: ${result.resources} R4 resources pulled from a Medplum FHIR server`, value: `${summary.restSyncResourcesPerSec}/s`, note: `pages of ${result.pageSize}` });
}

async function consent(): Promise<void> {
  const result = await benchConsent();
  summary.consentCheckP95Ms = result.consentCheckP95Ms;
  summary.revocationVisibleMs = result.revocationVisibleMs;
  rows.push({ figure: 'consent: check on a read, p95, warm cache', value: `${result.consentCheckP95Ms} ms`, note: 'target < 5 ms' });
  rows.push({
    figure: 'consent: member read over HTTP, p95 (JWT, decision, durable AuditEvent)',
    value: `${result.memberReadP95Ms} ms`,
    baseline: `${result.staffReadP95Ms} ms staff read`,
  });
  rows.push({ figure: 'consent: revocation visible on every node', value: `${result.revocationVisibleMs} ms`, note: 'target < one block + 2 s' });
}

async function telehealthRelay(): Promise<void> {
  const { sessions, rate, seconds, rounds, relay, baseline, worstRoundP99Ms } = await benchTelehealthRelay();
  Object.assign(summary, {
    telehealthRelayP99Ms: relay.p99Ms,
    telehealthRelayRssMb: relay.peakRssMb,
    telehealthRelayLost: relay.lost,
    telehealthRelayBaselineP99Ms: baseline.p99Ms,
  });
  const load = `${sessions} sessions, ${relay.sockets} sockets, ${relay.sentPerSecond} msg/s; median of ${rounds} rounds of ${seconds} s`;
  rows.push({
    figure: `telehealth relay: send to peer receipt, p50 / p99 / max (${load})`,
    value: `${relay.p50Ms} / ${relay.p99Ms} / ${relay.maxMs} ms`,
    baseline: `${baseline.p50Ms} / ${baseline.p99Ms} / ${baseline.maxMs} ms`,
    note: `target p99 < 50 ms at ${rate} msg/s; worst round p99 ${worstRoundP99Ms.relay} ms (baseline ${worstRoundP99Ms.baseline} ms); ${relay.lost} lost (baseline ${baseline.lost}); baseline: bare ws forwarding, no checks`,
  });
  rows.push({
    figure: 'telehealth relay: relay process RSS now / peak, CPU of one core',
    value: `${relay.rssMb} / ${relay.peakRssMb} MB, ${relay.cpuPercent}%`,
    baseline: `${baseline.rssMb} / ${baseline.peakRssMb} MB, ${baseline.cpuPercent}%`,
    note: 'target RSS < 400 MB',
  });
  rows.push({
    figure: 'telehealth relay: join, socket open to welcome, p50 / p95 (token redeemed in SQLite, gate asked)',
    value: `${relay.joinP50Ms} / ${relay.joinP95Ms} ms`,
    baseline: `${baseline.joinP50Ms} / ${baseline.joinP95Ms} ms`,
    note: 'one join at a time; baseline: bare ws handshake',
  });
}

async function claimsEvidence(): Promise<void> {
  const result = await benchClaimsEvidence();
  summary.claimEvidenceP95Ms = result.evidenceP95Ms;
  summary.claimEvidenceBaselineP95Ms = result.baselineP95Ms;
  rows.push({
    figure: `claims: evidence Bundle at the node, p50 / p95 (${result.resourcesPerClaim} resources + receipts, member JWT, AuditEvent; ${result.fetches} fetches)`,
    value: `${result.evidenceP50Ms} / ${result.evidenceP95Ms} ms`,
    baseline: `${result.baselineP50Ms} / ${result.baselineP95Ms} ms`,
    note: 'baseline: each resource and its $receipt fetched one request at a time',
  });
}

async function verifyClaim(): Promise<void> {
  const result = await benchVerifyClaim();
  summary.verifyClaimPerCpuSecond = result.claimsPerCpuSecond;
  summary.verifyClaimPerSecond = result.claimsPerSecond;
  summary.verifyClaimBaselinePerSecond = result.baselineClaimsPerSecond;
  rows.push({
    figure: `verify-claim: claims/s on one core, warm chain cache (${result.resourcesPerClaim} cited resources, ${result.claims} claims, all ${result.verdict})`,
    value: `${result.claimsPerCpuSecond} per CPU s (${result.claimsPerSecond} wall)`,
    baseline: `${result.baselineClaimsPerSecond} wall`,
    note: `target >= 500; baseline: careledger verify once per cited resource, cold, in this process (${result.baselineSample} claims)`,
  });
}

async function telehealthChain(): Promise<void> {
  const result = await benchTelehealthChain();
  Object.assign(summary, {
    telehealthTxPerConsult: result.registryTxPerConsult,
    telehealthGasPerConsult: result.registryGasPerConsult,
    telehealthBaselineTxPerConsult: result.baselineTxPerConsult,
    telehealthBaselineGasPerConsult: result.baselineGasPerConsult,
  });
  const ratio = (baseline: number, value: number) => `${(baseline / value).toFixed(1)}x fewer than the baseline`;
  rows.push({
    figure: `telehealth chain: transactions per completed consult (open, 2 invites, escalation, close; ${result.consults} consults)`,
    value: String(result.registryTxPerConsult),
    baseline: String(result.baselineTxPerConsult),
    note: `${ratio(result.baselineTxPerConsult, result.registryTxPerConsult)}; baseline: every state change and join its own transaction`,
  });
  rows.push({
    figure: 'telehealth chain: gas per completed consult',
    value: String(result.registryGasPerConsult),
    baseline: String(result.baselineGasPerConsult),
    note: ratio(result.baselineGasPerConsult, result.registryGasPerConsult),
  });
  rows.push({
    figure: 'telehealth chain: gas per call',
    value: Object.entries(result.gasByFunction).map(([name, gas]) => `${name} ${gas}`).join(', '),
  });
  rows.push({
    figure: 'telehealth chain: baseline wait per state change, p50 / p95 (send to receipt)',
    value: `${result.baselineChangeP50Ms} / ${result.baselineChangeP95Ms} ms`,
    note: 'on anvil, which mines at once; a QBFT chain adds its block period to each; the registry design waits for none',
  });
}

async function telehealthWorkflow(): Promise<void> {
  const result = await benchTelehealthWorkflow();
  Object.assign(summary, {
    telehealthStateChangeP95Ms: result.stateChangeP95Ms,
    telehealthStateChangeBaselineP95Ms: result.baselineP95Ms,
    telehealthJoinP95Ms: result.joinP95Ms,
  });
  rows.push({
    figure: `telehealth workflow: consult step at the host, p50 / p95 (${result.stateChanges} steps over ${result.sessions} consults; FHIR record + AuditEvent committed, chain write queued)`,
    value: `${result.stateChangeP50Ms} / ${result.stateChangeP95Ms} ms`,
    baseline: `${result.baselineP50Ms} / ${result.baselineP95Ms} ms`,
    note: 'target p95 < 50 ms; baseline: the same check-in until its opening is in a block (anvil; QBFT adds its block period)',
  });
  rows.push({
    figure: `telehealth workflow: join token issue, p50 / p95 (${result.joins} specialist joins: member JWT, live gate, licence read on chain, holder proof, AuditEvent)`,
    value: `${result.joinP50Ms} / ${result.joinP95Ms} ms`,
    baseline: `${result.bareTokenP50Ms} / ${result.bareTokenP95Ms} ms`,
    note: 'target p95 < 100 ms; baseline: signing the token alone, no checks',
  });
}

async function telehealthMessages(): Promise<void> {
  const result = await benchTelehealthMessages();
  Object.assign(summary, {
    telehealthMessagePostP95Ms: result.messagePostP95Ms,
    telehealthMessageBaselineP95Ms: result.baselineP95Ms,
    telehealthPurgePerSecond: result.purgePerSecond,
  });
  rows.push({
    figure: `telehealth messages: chat message posted, p50 / p95 (${result.messages}; gate, hash-only Communication, sealed under its own key)`,
    value: `${result.messagePostP50Ms} / ${result.messagePostP95Ms} ms`,
    baseline: `${result.baselineP50Ms} / ${result.baselineP95Ms} ms`,
    note: 'baseline: the text inside a Communication through the same intake (one commit, but not shreddable alone)',
  });
  rows.push({ figure: 'telehealth messages: 200 KB photo posted, p95', value: `${result.photoPostP95Ms} ms` });
  rows.push({ figure: `telehealth retention: expired messages crypto-shredded (${result.purged}, with deletion records)`, value: `${result.purgePerSecond}/s` });
}

async function zk(): Promise<void> {
  const result = await benchZk();
  Object.assign(summary, {
    zkChunkProveMs: result.chunkProveMs,
    zkEligibilityProveMs: result.eligibilityProveMs,
    zkGasPerVerification: result.gasPerVerification,
    zk10kQuerySeconds: result.tenThousandPatientQuerySeconds,
  });
  const measured = result.queryPatients === 10_000 ? 'measured' : result.queryPatients > 0 ? `scaled from ${result.queryPatients} patients` : 'projected from one chunk';
  rows.push({ figure: 'zk: constraints per record (cohort_count, 16-record chunks)', value: String(result.constraintsPerRecord) });
  rows.push({ figure: `zk: proving one 16-record chunk (${result.backend} prover)`, value: `${result.chunkProveMs} ms`, baseline: `${result.snarkjsChunkProveMs} ms`, note: 'baseline: snarkjs, same witness' });
  rows.push({ figure: `zk: one eligibility proof (${result.backend} prover)`, value: `${result.eligibilityProveMs} ms`, baseline: `${result.snarkjsEligibilityProveMs} ms`, note: 'goal: < 1 s' });
  rows.push({ figure: 'zk: Groth16 verification off chain / gas on chain', value: `${Math.round(result.verifyMs)} ms / ${result.gasPerVerification} gas` });
  rows.push({
    figure: `zk: full query over 10,000 patients (${measured})`,
    value: `${result.tenThousandPatientQuerySeconds} s`,
    baseline: `${result.snarkjsTenThousandPatientQuerySeconds} s`,
    note: `goal: < 300 s; ${result.queryChunkMs} ms a chunk; baseline: snarkjs, projected`,
  });
}

async function oidcBearer(): Promise<void> {
  const result = await benchOidcBearer();
  Object.assign(summary, { oidcBearerRs256P50Us: result.rs256P50Us, oidcBearerOpaqueP50Us: result.opaqueP50Us });
  rows.push({
    figure: `console sign-in: request with a hospital OIDC ID token (RS256 / ES256), p50 / p95, fastify inject, ${result.requests} each`,
    value: `${result.rs256P50Us} / ${result.rs256P95Us} µs; ${result.es256P50Us} / ${result.es256P95Us} µs`,
    baseline: `${result.opaqueP50Us} / ${result.opaqueP95Us} µs`,
    note: "baseline: the node's own opaque token, same route and scope check",
  });
}

async function consoleLoad(): Promise<void> {
  const result = await benchConsole();
  Object.assign(summary, {
    consoleSignInP50Ms: result.signInP50Ms,
    consoleOperationsP50Ms: result.operationsP50Ms,
    consoleMetadataBaselineP50Ms: result.metadataP50Ms,
    consoleFirstLoadGzipKb: result.firstLoadGzipKb,
    consoleTotalGzipKb: result.totalGzipKb,
  });
  rows.push({
    figure: `console: first load to interactive, sign-in page, p50 / p95 (${result.loads} cold loads, loopback, Chromium)`,
    value: `${result.signInP50Ms} / ${result.signInP95Ms} ms`,
    baseline: `${result.metadataP50Ms} / ${result.metadataP95Ms} ms`,
    note: 'target < 1 s; baseline: /fhir/metadata JSON in the same browser',
  });
  rows.push({
    figure: 'console: first load to Operations figures shown, signed in, p50 / p95',
    value: `${result.operationsP50Ms} / ${result.operationsP95Ms} ms`,
    baseline: `${result.metadataP50Ms} / ${result.metadataP95Ms} ms`,
    note: 'includes /health and /console/api/operations',
  });
  rows.push({
    figure: 'console: bundle, gzip -9 (first load / everything the console serves)',
    value: `${result.firstLoadGzipKb} / ${result.totalGzipKb} KB`,
    note: 'target < 250 KB',
  });
  for (const path of result.paths) {
    rows.push({
      figure: `console: ${path.name} chunk, loaded on demand after ${path.after}, gzip -9 (adds / fetched in all)`,
      value: `${path.addsGzipKb} / ${path.totalGzipKb} KB`,
    });
  }
}

async function consoleClaims(): Promise<void> {
  const result = await benchConsoleClaims();
  Object.assign(summary, { consoleClaimVerifyP50Ms: result.browserP50Ms, consoleClaimVerifyCliP50Ms: result.cliP50Ms });
  rows.push({
    figure: `console: claim (${result.resources} resources) verified in the browser, click to report, p50 / p95 (${result.rounds} cold contexts)`,
    value: `${result.browserP50Ms} / ${result.browserP95Ms} ms`,
    baseline: `${result.cliP50Ms} / ${result.cliP95Ms} ms`,
    note: 'baseline: careledger verify-claim steps in Node, fresh chain cache, no process start',
  });
}

function crypto(): void {
  const resources = syntheticR4(20_000, { prefix: 'c' });
  let started = performance.now();
  for (const resource of resources) resourceDigest(resource);
  const perResourceUs = ((performance.now() - started) * 1000) / resources.length;
  const leaves = Array.from({ length: 4096 }, () => randomBytes(32));
  started = performance.now();
  const tree = MerkleTree.build(leaves);
  for (let i = 0; i < 4096; i++) tree.inclusionProof(i);
  const treeMs = performance.now() - started;
  rows.push({ figure: 'crypto: canonicalize (RFC 8785) + SHA-256 per resource', value: `${perResourceUs.toFixed(1)} µs` });
  rows.push({ figure: 'crypto: 4,096-leaf tree + every audit path', value: `${treeMs.toFixed(1)} ms` });
}

function printTable(): void {
  const widths = [
    Math.max(...rows.map((r) => r.figure.length)),
    Math.max(...rows.map((r) => r.value.length)),
    Math.max(8, ...rows.map((r) => (r.baseline ?? '').length)),
  ];
  console.log(`${'figure'.padEnd(widths[0]!)}  ${'value'.padEnd(widths[1]!)}  ${'baseline'.padEnd(widths[2]!)}  note`);
  for (const row of rows) {
    console.log(`${row.figure.padEnd(widths[0]!)}  ${row.value.padEnd(widths[1]!)}  ${(row.baseline ?? '').padEnd(widths[2]!)}  ${row.note ?? ''}`);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'careledger-bench-'));
  try {
    const sections: Record<string, () => Promise<void> | void> = {
      pipeline: () => pipelineAndBaseline(work),
      synthea: () => synthea(work),
      hl7: () => hl7(work),
      search,
      restSync,
      consent,
      telehealthChain,
      telehealthWorkflow,
      telehealthMessages,
      telehealthRelay,
      claimsEvidence,
      verifyClaim,
      zk,
      oidcBearer,
      consoleLoad,
      consoleClaims,
      crypto,
    };
    // BENCH_ONLY=search,consoleLoad runs just those sections (names as above).
    const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim()).filter(Boolean);
    const unknown = only?.filter((name) => !(name in sections)) ?? [];
    if (unknown.length > 0) throw new Error(`BENCH_ONLY names no section ${unknown.join(', ')}; the sections: ${Object.keys(sections).join(', ')}`);
    for (const [name, run] of Object.entries(sections)) if (!only || only.includes(name)) await run();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  printTable();
  console.log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
