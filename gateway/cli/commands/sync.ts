// careledger sync bulk|rest: pull from an EHR into the node's own store in $DATA_DIR, with the
// node stopped (docs/adapters.md, "Why the CLI writes to the database"). Bulk runs a FHIR Bulk
// Data export to the end, resumable; rest runs one REST sync round with the node's EHR_* settings.

import { parseArgs } from 'node:util';
import { createRestSync } from '../../adapters/rest-sync-adapter.js';
import { ehrTokenSource } from '../../adapters/ehr-auth.js';
import { loadConfig } from '../../config.js';
import { BULK_SYNC_USAGE, bulkSyncCommand, parseBulkSyncArgs } from '../../../fhir-adapters/bulk/bulk-sync-command.js';
import type { IngestReport } from '../../../fhir-adapters/rest-sync/r5-intake.js';
import { BulkImportJobStore } from '../../store/bulk-import-job-store.js';
import { SyncCursorStore } from '../../store/sync-cursor-store.js';
import { openOfflineStore } from '../offline-store.js';
import { ProgressLine } from '../progress.js';

const HELP = `usage:
  ${BULK_SYNC_USAGE}
  careledger sync rest --once

Both write into the node database of $DATA_DIR and refuse while the node runs (stop it first);
the node anchors what they stored when it starts again. "sync bulk" resumes an interrupted
import when run again with the same arguments. "sync rest" uses EHR_FHIR_BASE, EHR_SYNC_TYPES
and the EHR_CLIENT_ID/EHR_PRIVATE_KEY_FILE credentials, and continues from the node's cursors.`;

/** Rejected resources listed in the summary; the rest are counted. */
const LISTED_REJECTIONS = 20;

export async function run(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  if (!mode || mode === '--help' || mode === '-h' || rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP);
    return mode ? 0 : 2;
  }
  if (mode === 'bulk') return bulk(rest);
  if (mode === 'rest') return restOnce(rest);
  console.error(`careledger sync: unknown source "${mode}" (bulk or rest)\n${HELP}`);
  return 2;
}

async function bulk(argv: string[]): Promise<number> {
  // Arguments first: a typo should not need the database.
  const args = parseBulkSyncArgs(argv);
  const node = openOfflineStore(loadConfig());
  const abort = new AbortController();
  const interrupt = (): void => {
    console.error('careledger sync: stopping after the current chunk; run the same command again to resume');
    abort.abort();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const progress = new ProgressLine('sync bulk');
  const started = Date.now();
  try {
    const result = await bulkSyncCommand(argv, {
      intake: node.store,
      jobs: new BulkImportJobStore(node.db),
      signal: abort.signal,
      onProgress: (p) =>
        p.phase === 'exporting'
          ? progress.update(0, undefined, `waiting for the export${p.serverProgress ? `: ${p.serverProgress}` : ''}`)
          : progress.update(p.resourcesDone, p.resourcesTotal, `files ${p.filesDone}/${p.filesTotal}, rejected ${p.report.rejected.length}`),
    });
    const done = result.stored + result.unchanged + result.rejected.length;
    progress.finish(done, done, `files ${result.files}/${result.files}`);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `${abort.signal.aborted ? 'interrupted' : 'imported'} ${done} resources from ${result.files} files of ${args.from} in ${seconds.toFixed(1)} s: ` +
        `${result.stored} stored, ${result.unchanged} unchanged, ${result.rejected.length} rejected` +
        `${result.resumed ? ' (resumed an earlier run)' : ''}; next incremental run: --since ${result.transactionTime}`,
    );
    listRejections(result);
    for (const url of result.errorFiles) console.log(`  export error file (not imported): ${url}`);
    return result.rejected.length > 0 || abort.signal.aborted ? 1 : 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    node.close();
  }
}

async function restOnce(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { once: { type: 'boolean' } }, strict: true });
  if (!values.once) throw new Error('sync rest needs --once (the running node polls by itself when EHR_FHIR_BASE is set)');
  const config = loadConfig();
  const settings = config.adapters.restSync;
  if (!settings) throw new Error('EHR_FHIR_BASE is not set: it names the EHR FHIR base to sync from');
  const auth = config.adapters.ehrAuth ? ehrTokenSource(config.adapters.ehrAuth, settings.fhirBase) : undefined;
  const node = openOfflineStore(config);
  const progress = new ProgressLine('sync rest');
  try {
    const sync = createRestSync(settings, {
      intake: node.store,
      deleter: (type, id) => node.store.delete(type, id),
      cursors: new SyncCursorStore(node.db),
      ...(auth ? { auth } : {}),
    });
    const started = Date.now();
    const reports = await sync.syncOnce();
    const pulled = reports.reduce((sum, r) => sum + r.stored + r.unchanged + r.rejected.length, 0);
    progress.finish(pulled, pulled);
    for (const r of reports) {
      console.log(`  ${r.type}: ${r.stored} stored, ${r.unchanged} unchanged, ${r.deleted} deleted, ${r.rejected.length} rejected (${r.pages} pages)`);
    }
    const rejected = reports.flatMap((r) => r.rejected);
    console.log(`synced ${reports.length} types from ${settings.fhirBase} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    listRejections({ rejected });
    return rejected.length > 0 ? 1 : 0;
  } finally {
    node.close();
  }
}

function listRejections(report: Pick<IngestReport, 'rejected'>): void {
  for (const rejection of report.rejected.slice(0, LISTED_REJECTIONS)) {
    const issue = rejection.outcome.issue?.[0];
    console.log(`  rejected ${rejection.reference} (${rejection.status}): ${issue?.diagnostics ?? issue?.details?.text ?? ''}`);
  }
  if (report.rejected.length > LISTED_REJECTIONS) console.log(`  ... and ${report.rejected.length - LISTED_REJECTIONS} more rejected`);
}
