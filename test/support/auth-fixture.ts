// Shared by the auth tests: a real SQLite file in a temp dir, real keys, and an app with the auth
// plugin plus a minimal FHIR-shaped route whose error handler maps OperationOutcomeError with
// getStatus, the way the FHIR layer does.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getStatus, OperationOutcomeError } from '@medplum/core';
import fastify, { type FastifyInstance } from 'fastify';
import type { FhirInteraction } from '../../gateway/auth/access-decision.js';
import { openAuthStores } from '../../gateway/store/auth-stores.js';
import { openDatabase, type Db } from '../../gateway/store/database.js';
import { authPlugin } from '../../gateway/auth/auth-plugin.js';
import type { AssertionAlgorithm } from '../../gateway/auth/client-jwks.js';
import { createClientAssertion } from '../../gateway/auth/client-assertion.js';
import { fhirAccessHook, requireFhirAccess } from '../../gateway/auth/fhir-access.js';
import { JWT_BEARER_ASSERTION_TYPE } from '../../gateway/auth/token-exchange.js';

export const PUBLIC_BASE_URL = 'https://node.example.org';
export const TOKEN_URL = `${PUBLIC_BASE_URL}/auth/token`;

export interface TempDatabase {
  dir: string;
  path: string;
  open(): Db;
  remove(): void;
}

export function tempDatabase(): TempDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-auth-'));
  const path = join(dir, 'node.db');
  return {
    dir,
    path,
    open() {
      return openDatabase(path);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestKey {
  alg: AssertionAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export function makeKey(alg: AssertionAlgorithm, kid: string): TestKey {
  const { privateKey, publicKey } =
    alg === 'RS384'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-384' });
  return { alg, kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg } };
}

/** A settable clock, epoch milliseconds. */
export class TestClock {
  constructor(public ms = Date.UTC(2025, 0, 15, 12, 0, 0)) {}
  readonly now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export async function buildTestApp(
  db: Db,
  clock: TestClock,
  publicBaseUrl = PUBLIC_BASE_URL,
): Promise<FastifyInstance> {
  const app = fastify();
  await app.register(authPlugin, {
    stores: openAuthStores(db),
    publicBaseUrl,
    fhirBases: ['/fhir', '/fhir/R4'],
    now: clock.now,
  });
  await app.register(
    async (fhir) => {
      fhir.setErrorHandler((error, _request, reply) => {
        if (error instanceof OperationOutcomeError) return reply.code(getStatus(error.outcome)).send(error.outcome);
        return reply.code(500).send({ resourceType: 'OperationOutcome' });
      });
      const route = (interaction: FhirInteraction) => async (request: { params: unknown }) => {
        const { type } = request.params as { type: string };
        const principal = requireFhirAccess(request as Parameters<typeof requireFhirAccess>[0], type, interaction);
        return { resourceType: type, clientId: principal.clientId };
      };
      fhir.get('/:type/:id', route('read'));
      fhir.get('/:type', route('search'));
      fhir.post('/:type', route('create'));
      fhir.delete('/:type/:id', route('delete'));
      fhir.get('/$export', { preHandler: fhirAccessHook(undefined, 'operation', { permissions: 'rs' }) }, async () => ({
        exporting: true,
      }));
      fhir.get('/whoami', async (request) => ({ principal: request.principal }));
    },
    { prefix: '/fhir' },
  );
  await app.ready();
  return app;
}

export async function assertionFor(key: TestKey, clientId: string, clock: TestClock): Promise<string> {
  return createClientAssertion({ clientId, tokenUrl: TOKEN_URL, privateKey: key.privateKey, alg: key.alg, kid: key.kid, now: clock.now });
}

export function tokenForm(assertion: string, scope: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: assertion,
    scope,
    ...extra,
  }).toString();
}

export async function postToken(app: FastifyInstance, form: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form,
  });
  return { status: response.statusCode, headers: response.headers, body: response.json() as Record<string, unknown> };
}
