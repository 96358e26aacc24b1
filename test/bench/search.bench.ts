// Search (issue #15): what the R5 search index costs at intake, and what a search costs.
//   intake     synthetic R4 resources (Patient, Encounter, Observation, converted to R5) through
//              the intake pipeline (R5 validation, hashing, group commit) into a real SQLite
//              store, 64 writes in flight, timed until the last index row is written; once with the full R5 index and, as the baseline in the
//              same run, with the index of before #15 (identifiers and references only), both
//              built and written on the calling thread; and with the full index built and written
//              by the index writer thread, as the node runs it (index-writer.ts). The runs
//              alternate over ROUNDS rounds so machine noise falls on all alike.
//   search     p50 / p95 over the full store: name + birthdate, a chained patient.identifier
//              search, and code + value-quantity.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertR4toR5 } from '../../fhir-adapters/conversion/index.js';
import { validateR5 } from '../../fhir-adapters/validation/index.js';
import { IntakePipeline } from '../../gateway/intake/pipeline.js';
import { openDatabase } from '../../gateway/store/database.js';
import { ResourceStore } from '../../gateway/store/resource-store.js';
import { loadR5SearchParameters, r5SearchCatalog, SearchCatalog } from '../../gateway/store/search-catalog.js';
import { SearchIndexer } from '../../gateway/store/search-index.js';
import { searchParam } from '../../gateway/store/search-param-name.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { Vault } from '../../gateway/store/vault.js';
import { syntheticR4 } from '../support/synthetic-fhir.js';

export interface SearchBenchResult {
  resources: number;
  rounds: number;
  /** Resources per second with the full R5 index on the calling thread, median of the rounds. */
  intakePerSec: number;
  /** The same with the full index written by the index writer thread, as in the node. */
  threadPerSec: number;
  /** threadPerSec / baselinePerSec - 1, in percent. */
  threadChangePercent: number;
  /** The same with the index of before #15 (identifiers and references). */
  baselinePerSec: number;
  /** intakePerSec / baselinePerSec - 1, in percent (negative: slower). */
  changePercent: number;
  indexRowsPerResource: number;
  searches: Array<{ name: string; p50Ms: number; p95Ms: number; matches: number }>;
}

const IN_FLIGHT = 64;
/** The codes the index held before #15. */
const BEFORE_CODES = ['identifier', 'patient', 'subject', 'encounter', 'target'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function intake(resources: readonly FhirResource[], catalog: SearchCatalog, keepOpen: boolean, indexThread = false) {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-search-bench-'));
  const db = openDatabase(join(dir, 'node.db'));
  const key = randomBytes(32);
  const storage = new ResourceStore({
    db,
    vault: new Vault(db, key),
    indexer: new SearchIndexer(key, catalog),
    isKnownType: () => true,
    receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] },
    indexThread,
  });
  const pipeline = new IntakePipeline({ store: storage, validate: validateR5, isKnownType: () => true });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < resources.length) {
        const resource = resources[next++]!;
        await pipeline.update(resource.resourceType, resource.id!, resource);
      }
    }),
  );
  // Until every row is in the index, not only until every write is acknowledged (deferred-index.ts).
  storage.flushIndex();
  const perSec = resources.length / ((performance.now() - started) / 1000);
  const rows = (db.prepare('SELECT (SELECT COUNT(*) FROM search_index) + (SELECT COUNT(*) FROM search_date) + (SELECT COUNT(*) FROM search_quantity) AS n').get() as { n: number }).n;
  const close = () => {
    db.close();
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  };
  if (!keepOpen) close();
  return { perSec, rows, pipeline, close };
}

export async function benchSearch(options: { resources?: number; rounds?: number } = {}): Promise<SearchBenchResult> {
  const count = options.resources ?? 5_000;
  const rounds = options.rounds ?? 3;
  const resources = syntheticR4(count, { prefix: 'sb' }).map((resource) => convertR4toR5(resource as FhirResource).resource);
  const full = new SearchCatalog(loadR5SearchParameters());
  // The thread indexes with the node's own catalog only (resource-store.ts).
  const shared = r5SearchCatalog();
  const before = new SearchCatalog(loadR5SearchParameters(BEFORE_CODES));
  // Warm-up: the validator, the JIT and SQLite's page cache, measured by neither.
  await intake(resources.slice(0, 1_000), full, false);
  await intake(resources.slice(0, 1_000), shared, false, true);

  const fullRates: number[] = [];
  const beforeRates: number[] = [];
  const threadRates: number[] = [];
  let rows = 0;
  for (let round = 0; round < rounds; round++) {
    beforeRates.push((await intake(resources, before, false)).perSec);
    const run = await intake(resources, full, false);
    fullRates.push(run.perSec);
    rows = run.rows;
    threadRates.push((await intake(resources, shared, false, true)).perSec);
  }

  const store = await intake(resources, full, true);
  const patient = resources.find((resource) => resource.resourceType === 'Patient')!;
  const name = (patient.name as Array<{ family: string }>)[0]!.family;
  const mrn = (patient.identifier as Array<{ system: string; value: string }>)[0]!;
  const queries: Array<{ name: string; type: string; query: string }> = [
    { name: 'Patient?name=&birthdate=', type: 'Patient', query: `name=${name.slice(0, 4)}&birthdate=${String(patient.birthDate)}` },
    { name: 'Observation?patient.identifier=', type: 'Observation', query: `patient.identifier=${mrn.system}|${mrn.value}` },
    { name: 'Observation?code=&value-quantity=gt', type: 'Observation', query: 'code=http://loinc.org|8480-6&value-quantity=gt140' },
  ];
  const searches = [];
  for (const { name: label, type, query } of queries) {
    const params = [...new URLSearchParams(query)].map(([key, value]) => searchParam(key, value));
    const times: number[] = [];
    let matches = 0;
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const result = await store.pipeline.search({ type, params, count: 20, offset: 0, summaryCount: false });
      times.push(performance.now() - started);
      matches = result.total;
    }
    times.sort((a, b) => a - b);
    searches.push({ name: label, p50Ms: Math.round(percentile(times, 50) * 100) / 100, p95Ms: Math.round(percentile(times, 95) * 100) / 100, matches });
  }
  store.close();

  const intakePerSec = Math.round(median(fullRates));
  const baselinePerSec = Math.round(median(beforeRates));
  const threadPerSec = Math.round(median(threadRates));
  return {
    resources: count,
    rounds,
    intakePerSec,
    baselinePerSec,
    threadPerSec,
    threadChangePercent: Math.round((threadPerSec / baselinePerSec - 1) * 1000) / 10,
    changePercent: Math.round((intakePerSec / baselinePerSec - 1) * 1000) / 10,
    indexRowsPerResource: Math.round((rows / count) * 10) / 10,
    searches,
  };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  console.log(JSON.stringify(await benchSearch({ resources: Number(process.env.BENCH_SEARCH_RESOURCES ?? 5_000) }), null, 2));
}
