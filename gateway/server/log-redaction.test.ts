// Issue 12 finding 8: PHI in logs. The node's app (buildApp over a real store and the real auth
// plugin) logs to a captured pino stream at debug and at info while a client searches by an SSN
// and a name, reads a patient by id, and sends input that is refused; neither the identifiers,
// the name nor the ids may reach the log.

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestNode, TEST_NODE_TYPES, type TestNode } from '../../test/support/test-store.js';
import { createClientAssertion } from '../auth/client-assertion.js';
import { JWT_BEARER_ASSERTION_TYPE } from '../auth/token-exchange.js';
import { requestLimits } from '../config.js';
import { buildApp } from './app.js';
import { redactError } from './log-redaction.js';
import { NodeMetrics } from './metrics.js';

const PUBLIC_URL = 'http://127.0.0.1:8080';
const SSN = '123-45-6789';
const NAME = 'Zebediah';
const PATIENT_ID = 'mrn-48151623';
const PHI = [SSN, NAME, PATIENT_ID, '1961-07-04'];

describe.each(['debug', 'info'])('request logs at level %s', (level) => {
  let dir: string;
  let node: TestNode;
  let app: FastifyInstance;
  let lines: string[];
  let token: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-logs-'));
    node = openTestNode(dir, Buffer.alloc(32, 7));
    lines = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    app = await buildApp({
      db: node.db,
      publicUrl: PUBLIC_URL,
      bodyLimitBytes: 1024 * 1024,
      limits: requestLimits({}),
      logger: { level, stream },
      fhir: {
        service: node.store,
        resourceTypes: [...TEST_NODE_TYPES],
        r4: { validate: () => [], convert: (resource) => ({ resource, issues: [] }) },
        r5Validate: () => [],
        verifyAnchor: () => ({ valid: false, failedCheck: 'digest', reason: 'not used here', checks: [] }),
      },
      health: {
        anchoring: () => ({ state: 'ok', lastAnchoredSequence: 0, closedBatchesWaiting: 0, leavesWaiting: 0 }),
        metrics: new NodeMetrics({ leavesWaiting: () => 0, closedBatchesWaiting: () => 0, chainReachable: () => true }),
        identity: { orgId: 'org', memberId: '0x00', chainId: 31337, version: 'test' },
      },
    });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    await app.smartAuth.registry.registerClient({
      clientId: 'ehr',
      name: 'EHR',
      jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES384' }] },
      scopes: ['system/*.cruds'],
    });
    const assertion = await createClientAssertion({ clientId: 'ehr', tokenUrl: app.smartAuth.tokenUrl, privateKey, alg: 'ES384', kid: 'k1' });
    const response = await app.inject({
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: assertion,
        scope: 'system/*.cruds',
      }).toString(),
    });
    token = (response.json() as { access_token: string }).access_token;
    await node.store.update('Patient', PATIENT_ID, {
      resourceType: 'Patient',
      id: PATIENT_ID,
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: SSN }],
      name: [{ family: NAME }],
      birthDate: '1961-07-04',
    });
  });

  afterEach(async () => {
    await app.close();
    node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never writes a search value, a name, a patient id or refused input', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const calls = [
      { method: 'GET', url: `/fhir/Patient?identifier=urn:oid:2.16.840.1.113883.4.1|${SSN}` },
      { method: 'GET', url: `/fhir/Patient?family=${NAME}&birthdate=1961-07-04` },
      { method: 'GET', url: `/fhir/Patient/${PATIENT_ID}` },
      { method: 'GET', url: `/fhir/R4/Patient?name=${NAME}` },
      { method: 'GET', url: `/fhir/Patient?birthdate=${SSN}` },
      { method: 'GET', url: `/fhir/Patient?${SSN}=${NAME}` },
      { method: 'GET', url: `/fhir/NoSuchType?identifier=${SSN}` },
      { method: 'GET', url: `/nowhere/${PATIENT_ID}?identifier=${SSN}` },
      { method: 'PUT', url: `/fhir/Patient/${PATIENT_ID}`, payload: { resourceType: 'Patient', id: 'other', name: [{ family: NAME }], birthDate: SSN } },
      { method: 'POST', url: '/fhir/Patient', payload: `{"resourceType":"Patient","name":[{"family":"${NAME}"` },
      { method: 'GET', url: `/fhir/Patient?identifier=${SSN}`, headers: { authorization: `Bearer ${SSN}` } },
    ] as const;
    const statuses: number[] = [];
    for (const call of calls) {
      const response = await app.inject({
        method: call.method,
        url: call.url,
        headers: { ...headers, 'content-type': 'application/fhir+json', ...('headers' in call ? call.headers : {}) },
        ...('payload' in call ? { payload: typeof call.payload === 'string' ? call.payload : JSON.stringify(call.payload) } : {}),
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(-5).every((status) => status >= 400)).toBe(true);

    const log = lines.join('');
    for (const value of PHI) expect(log).not.toContain(value);
    if (level === 'debug') {
      // One line per request, with what an operator needs and nothing else.
      const completed = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request completed');
      expect(completed.length).toBeGreaterThanOrEqual(3);
      const search = completed.find((line) => line.method === 'GET');
      expect(search).toMatchObject({ statusCode: 200, clientId: 'ehr', route: expect.stringMatching(/^\/fhir\//) });
      expect(typeof search!.responseTime).toBe('number');
    } else {
      expect(lines.filter((line) => line.includes('request completed') || line.includes('incoming request'))).toEqual([]);
    }
  });
});

describe('errors logged from a request', () => {
  it('keep their type, code and frames but not a message that quotes input', () => {
    const error = Object.assign(new SyntaxError(`Unexpected token '}', "{"ssn":"${SSN}"}" is not valid JSON`), { code: 'FST_ERR_CTP_INVALID_JSON' });
    const shown = redactError(error) as Record<string, unknown>;
    expect(JSON.stringify(shown)).not.toContain(SSN);
    expect(shown).toMatchObject({ type: 'SyntaxError', code: 'FST_ERR_CTP_INVALID_JSON', stack: expect.stringMatching(/^\s+at /) });
    expect(redactError('a string the node wrote itself')).toBe('a string the node wrote itself');
  });
});
