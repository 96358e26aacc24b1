// `careledger sync bulk --from URL [...]`: argument parsing and the run, for the CLI to wire to
// the node's store. SMART Backend Services credentials are a private JWK file (RS384 or ES384)
// plus the client id the EHR registered; without them the export is fetched unauthenticated.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { IntakePort } from '../../gateway/intake/port.js';
import { smartBackendServicesAuth, type AccessTokenSource } from '../rest-sync/smart-backend-auth.js';
import { runBulkImport, type BulkImportResult, type BulkProgress } from './bulk-import.js';
import type { ImportJobTable } from './import-job-table.js';

export interface BulkSyncArgs {
  from: string;
  types?: string[];
  since?: string;
  fhirVersion: 'R4' | 'R5';
  chunkSize?: number;
  smart?: { clientId: string; keyFile: string; scope: string; tokenUrl?: string };
}

export const BULK_SYNC_USAGE =
  'careledger sync bulk --from <kick-off URL ending in $export> [--type T1,T2] [--since <instant>] [--r5] [--chunk N] ' +
  '[--client-id ID --key <private JWK file> [--scope "system/*.rs"] [--token-url URL]]';

/** Throws an Error whose message is one line fit for stderr. */
export function parseBulkSyncArgs(argv: string[]): BulkSyncArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      r5: { type: 'boolean' },
      chunk: { type: 'string' },
      'client-id': { type: 'string' },
      key: { type: 'string' },
      scope: { type: 'string' },
      'token-url': { type: 'string' },
    },
    strict: true,
  });
  if (!values.from) throw new Error(`--from is required: ${BULK_SYNC_USAGE}`);
  if (!/\/\$export(\?|$)/.test(values.from)) throw new Error(`--from must be a $export URL, got ${values.from}`);
  if (values.since && Number.isNaN(Date.parse(values.since))) throw new Error(`--since must be an instant, got ${values.since}`);
  const chunkSize = values.chunk === undefined ? undefined : Number(values.chunk);
  if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0)) throw new Error(`--chunk must be a positive integer`);
  if (Boolean(values['client-id']) !== Boolean(values.key)) throw new Error('--client-id and --key go together');
  return {
    from: values.from,
    types: values.type?.split(',').filter(Boolean),
    since: values.since,
    fhirVersion: values.r5 ? 'R5' : 'R4',
    chunkSize,
    smart: values['client-id']
      ? { clientId: values['client-id'], keyFile: values.key!, scope: values.scope ?? 'system/*.rs', tokenUrl: values['token-url'] }
      : undefined,
  };
}

async function authFromArgs(args: BulkSyncArgs): Promise<AccessTokenSource | undefined> {
  if (!args.smart) return undefined;
  const jwk = JSON.parse(readFileSync(args.smart.keyFile, 'utf8')) as JWK;
  const alg = jwk.alg === 'RS384' || jwk.kty === 'RSA' ? 'RS384' : 'ES384';
  if (!jwk.kid) throw new Error(`${args.smart.keyFile}: the JWK needs a kid (the EHR selects the public key by it)`);
  return smartBackendServicesAuth({
    clientId: args.smart.clientId,
    privateKey: (await importJWK(jwk, alg)) as CryptoKey,
    alg,
    kid: jwk.kid,
    scope: args.smart.scope,
    tokenUrl: args.smart.tokenUrl,
    fhirBase: args.from.replace(/\/(Patient|Group\/[^/]+)?\/?\$export.*$/, ''),
  });
}

export async function bulkSyncCommand(
  argv: string[],
  node: { intake: IntakePort; jobs: ImportJobTable; onProgress?: (progress: BulkProgress) => void; signal?: AbortSignal },
): Promise<BulkImportResult> {
  const args = parseBulkSyncArgs(argv);
  return runBulkImport({
    from: args.from,
    auth: await authFromArgs(args),
    intake: node.intake,
    jobs: node.jobs,
    fhirVersion: args.fhirVersion,
    types: args.types,
    since: args.since,
    chunkSize: args.chunkSize,
    onProgress: node.onProgress,
    signal: node.signal,
  });
}
