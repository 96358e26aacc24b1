// careledger import PATH: streams NDJSON files (or every .ndjson file of a folder) into a node.

import { parseArgs } from 'node:util';
import { ndjsonFiles, importNdjson } from '../ndjson-import.js';
import { readDevFile, tokenSource } from '../dev-target.js';
import { ProgressLine } from '../progress.js';

const HELP = `usage: careledger import PATH [options]

PATH is an NDJSON file or a folder of them (a Bulk Data export). Resources keep their ids (PUT).

options:
  --url URL          FHIR base of the node (default: fhirBase from $DATA_DIR/dev.json)
  --token TOKEN      bearer token (default: minted with the dev client of $DATA_DIR)
  --r5               the files are R5 (default: R4, sent to <base>/R4)
  --bundle-size N    resources per batch Bundle (default 500)
  --concurrency N    Bundles in flight (default 4)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      r5: { type: 'boolean', default: false },
      'bundle-size': { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`careledger import: expected one PATH\n${HELP}`);
    return 2;
  }
  const base = (values.url ?? readDevFile().fhirBase).replace(/\/$/, '');
  const fhirBase = values.r5 ? base : `${base}/R4`;
  const files = ndjsonFiles(positionals[0]!);
  const progress = new ProgressLine('import');
  const summary = await importNdjson(
    files,
    { fhirBase, token: tokenSource({ token: values.token ?? process.env.CARELEDGER_TOKEN }) },
    {
      bundleSize: positiveInteger(values['bundle-size']!, '--bundle-size'),
      concurrency: positiveInteger(values.concurrency!, '--concurrency'),
      onProgress: (s, total) => progress.update(s.sent, total, `failed ${s.failed}`),
    },
  );
  progress.finish(summary.sent, summary.sent, `failed ${summary.failed}`);
  console.log(
    `imported ${summary.sent} resources from ${files.length} files in ${summary.seconds.toFixed(1)} s ` +
      `(${Math.round(summary.sent / Math.max(summary.seconds, 0.001))}/s): ${summary.created} created, ${summary.updated} updated, ` +
      `${summary.unchanged} unchanged, ${summary.failed} failed, ${summary.skipped} non-resource lines skipped`,
  );
  for (const failure of summary.failures) console.log(`  ${failure.file}:${failure.line} ${failure.status} ${failure.message}`);
  return summary.failed > 0 ? 1 : 0;
}

function positiveInteger(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
