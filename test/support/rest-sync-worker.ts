// A node process that runs one REST sync round against an EHR and exits: what the crash test
// kill -9s and restarts. Configuration comes from the environment so the test can start it as a
// plain child process: SYNC_NODE_DIR, SYNC_MASTER_KEY (hex), SYNC_EHR_BASE, SYNC_TYPES
// (comma-separated), SYNC_CLIENT (JSON: clientId, kid, alg, jwk = the private key),
// SYNC_PAGE_SIZE.

import { importJWK, type CryptoKey, type JWK } from 'jose';
import { RestSync } from '../../fhir-adapters/rest-sync/rest-sync.js';
import { smartBackendServicesAuth } from '../../fhir-adapters/rest-sync/smart-backend-auth.js';
import { openTestNode } from './test-store.js';
import { SyncCursorStore } from '../../gateway/store/sync-cursor-store.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const client = JSON.parse(env('SYNC_CLIENT')) as { clientId: string; kid: string; alg: 'ES384'; jwk: JWK };
const node = openTestNode(env('SYNC_NODE_DIR'), Buffer.from(env('SYNC_MASTER_KEY'), 'hex'));
const sync = new RestSync({
  ehr: 'crash-ehr',
  server: {
    baseUrl: env('SYNC_EHR_BASE'),
    auth: smartBackendServicesAuth({
      clientId: client.clientId,
      kid: client.kid,
      alg: client.alg,
      privateKey: (await importJWK(client.jwk, client.alg)) as CryptoKey,
      scope: 'system/*.rs',
      fhirBase: env('SYNC_EHR_BASE'),
    }),
  },
  fhirVersion: 'R4',
  types: env('SYNC_TYPES').split(','),
  intake: node.store,
  deleter: (type, id) => node.store.delete(type, id),
  cursors: new SyncCursorStore(node.db),
  pageSize: Number(process.env.SYNC_PAGE_SIZE ?? 100),
});
const reports = await sync.syncOnce();
node.close();
process.stdout.write(`${JSON.stringify(reports.map(({ type, stored, unchanged, deleted, pages }) => ({ type, stored, unchanged, deleted, pages })))}\n`);
