import { exportJWK, generateKeyPair } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SYNC_TYPES, loadConfig } from './config.js';

let dir: string;
let ecKey: string;
let rsaKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'careledger-config-'));
  ecKey = join(dir, 'ec.json');
  rsaKey = join(dir, 'rsa.json');
  const ec = await generateKeyPair('ES384', { extractable: true });
  const rsa = await generateKeyPair('RS384', { extractable: true });
  writeFileSync(ecKey, JSON.stringify({ ...(await exportJWK(ec.privateKey)), kid: 'ec-1' }));
  writeFileSync(rsaKey, JSON.stringify({ ...(await exportJWK(rsa.privateKey)), kid: 'rsa-1' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const adapters = (env: Record<string, string>) => loadConfig({ DATA_DIR: dir, ...env }, dir).adapters;

describe('adapter configuration', () => {
  it('turns every adapter off by default', () => {
    expect(adapters({})).toEqual({ hl7: null, kafka: null, ehrAuth: null, restSync: null, subscriptions: [] });
  });

  it('reads HL7 and Kafka with their defaults', () => {
    const config = adapters({ HL7_MLLP_PORT: '2575', KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092', CARELEDGER_ORG_ID: 'st-mary' });
    expect(config.hl7).toEqual({ port: 2575, host: '127.0.0.1' });
    expect(config.kafka).toEqual({
      brokers: ['kafka-1:9092', 'kafka-2:9092'],
      topic: 'careledger.fhir.in',
      groupId: 'careledger-st-mary',
      deadLetterTopic: 'careledger.fhir.in.dlq',
      receiptsTopic: null,
      defaultVersion: 'R4',
    });
  });

  it('reads REST sync with SMART credentials from a private JWK file', () => {
    const config = adapters({ EHR_FHIR_BASE: 'https://ehr.example/fhir/R4/', EHR_CLIENT_ID: 'careledger', EHR_PRIVATE_KEY_FILE: 'rsa.json', EHR_KEY_ALG: 'RS384' });
    expect(config.restSync).toEqual({ fhirBase: 'https://ehr.example/fhir/R4', fhirVersion: 'R4', types: DEFAULT_SYNC_TYPES, intervalMs: 60_000, pageSize: 100, detectDeletes: true });
    expect(config.ehrAuth).toMatchObject({ clientId: 'careledger', kid: 'rsa-1', alg: 'RS384', scope: 'system/*.rs', tokenUrl: null });
  });

  it('refuses bad values with the variable named', () => {
    expect(() => adapters({ HL7_MLLP_PORT: '70000' })).toThrow(/HL7_MLLP_PORT must be an integer from 0 to 65535/);
    expect(() => adapters({ KAFKA_BROKERS: 'kafka' })).toThrow(/KAFKA_BROKERS must be a comma list of host:port/);
    expect(() => adapters({ EHR_FHIR_BASE: 'ehr.example/fhir' })).toThrow(/EHR_FHIR_BASE must be an http\(s\) URL/);
    expect(() => adapters({ EHR_FHIR_BASE: 'https://ehr/fhir', EHR_FHIR_VERSION: 'STU3' })).toThrow(/EHR_FHIR_VERSION must be R4 or R5/);
    expect(() => adapters({ EHR_FHIR_BASE: 'https://ehr/fhir', EHR_SYNC_TYPES: 'patient' })).toThrow(/EHR_SYNC_TYPES/);
    expect(() => adapters({ EHR_CLIENT_ID: 'x' })).toThrow(/EHR_CLIENT_ID and EHR_PRIVATE_KEY_FILE go together/);
    expect(() => adapters({ EHR_CLIENT_ID: 'x', EHR_PRIVATE_KEY_FILE: 'rsa.json' })).toThrow(/must hold a private P-384 EC JWK for EHR_KEY_ALG=ES384/);
    expect(() => adapters({ EHR_CLIENT_ID: 'x', EHR_PRIVATE_KEY_FILE: 'missing.json' })).toThrow(/cannot read a JSON private JWK/);
    expect(() => adapters({ KAFKA_BROKERS: 'k:9092', KAFKA_TOPIC: 'has space' })).toThrow(ConfigError);
  });

  it('reads a Subscriptions file and says which entry is wrong', () => {
    const file = join(dir, 'subs.json');
    const good = { id: 'epic-adt', secret: { header: 'X-Secret', value: 'sixteen-chars-or-more' }, types: ['Patient'] };
    writeFileSync(file, JSON.stringify([good]));
    expect(adapters({ SUBSCRIPTIONS_FILE: file, EHR_FHIR_BASE: 'https://ehr/fhir', EHR_FHIR_VERSION: 'R5', EHR_CLIENT_ID: 'c', EHR_PRIVATE_KEY_FILE: ecKey }).subscriptions).toEqual([
      { ...good, fhirVersion: 'R5', fhirBase: 'https://ehr/fhir' },
    ]);
    expect(() => adapters({ SUBSCRIPTIONS_FILE: file })).toThrow(/endpoint \[0\] needs "fhirBase" \(or EHR_FHIR_BASE\)/);
    writeFileSync(file, JSON.stringify([good, { ...good, id: 'epic-labs', secret: { header: 'X-Secret', value: 'short' } }]));
    expect(() => adapters({ SUBSCRIPTIONS_FILE: file, EHR_FHIR_BASE: 'https://ehr/fhir' })).toThrow(/endpoint \[1\] needs "secret"/);
    writeFileSync(file, JSON.stringify([good, good]));
    expect(() => adapters({ SUBSCRIPTIONS_FILE: file, EHR_FHIR_BASE: 'https://ehr/fhir' })).toThrow(/endpoint \[1\] repeats the id "epic-adt"/);
    writeFileSync(file, '{"not": "a list"}');
    expect(() => adapters({ SUBSCRIPTIONS_FILE: file })).toThrow(/must hold a JSON array/);
  });
});

describe('zero-knowledge prover setting', () => {
  const zkProver = (env: Record<string, string>) => loadConfig({ DATA_DIR: dir, ...env }, dir).zkProver;

  it('defaults to auto and accepts the named backends', () => {
    expect(zkProver({})).toBe('auto');
    expect(zkProver({ CARELEDGER_ZK_PROVER: 'native' })).toBe('native');
    expect(zkProver({ CARELEDGER_ZK_PROVER: 'snarkjs' })).toBe('snarkjs');
  });

  it('refuses anything else at start', () => {
    expect(() => zkProver({ CARELEDGER_ZK_PROVER: 'rapidsnark' })).toThrow(/CARELEDGER_ZK_PROVER must be auto, native or snarkjs/);
  });
});

describe('request limits', () => {
  it('defaults to the documented limits', () => {
    const { limits, bodyLimitBytes } = loadConfig({});
    expect(bodyLimitBytes).toBe(8 * 1024 * 1024);
    expect(limits).toMatchObject({
      maxJsonDepth: 100,
      searchMaxCount: 1000,
      searchMaxParameters: 100,
      bundleMaxEntries: 1000,
      batchMaxResources: 1000,
      http: { headersTimeoutMs: 20_000, requestTimeoutMs: 60_000, idleTimeoutMs: 120_000, keepAliveTimeoutMs: 72_000, maxConnectionsPerIp: 256 },
      rateLimit: { windowMs: 60_000, perClient: 60_000, perIp: 6000 },
    });
  });

  it('reads each limit from its variable and refuses nonsense with the variable named', () => {
    expect(loadConfig({ FHIR_MAX_JSON_DEPTH: '64', RATE_LIMIT_PER_IP: '10' }).limits).toMatchObject({ maxJsonDepth: 64, rateLimit: { perIp: 10 } });
    expect(() => loadConfig({ FHIR_MAX_JSON_DEPTH: '5' })).toThrow(/FHIR_MAX_JSON_DEPTH must be an integer from 16/);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS must not exceed/);
  });
});


describe('ledger kind (CHAIN_KIND)', () => {
  it('is evm unless set, for the embedded chain and for Besu alike', () => {
    expect(loadConfig({ DATA_DIR: dir }, dir).chainKind).toBe('evm');
    expect(loadConfig({ DATA_DIR: dir, CHAIN_KIND: 'evm' }, dir).chainKind).toBe('evm');
  });

  it('refuses fabric at start with one line saying its backend is not built yet', () => {
    const error = (() => {
      try {
        loadConfig({ DATA_DIR: dir, CHAIN_KIND: 'fabric' }, dir);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected CHAIN_KIND=fabric to be refused');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^CHAIN_KIND must be "evm": the Fabric backend is not built yet/);
    expect(error.message).not.toContain('\n');
  });

  it('refuses a kind it does not know, naming the ones it does', () => {
    expect(() => loadConfig({ DATA_DIR: dir, CHAIN_KIND: 'besu' }, dir)).toThrow(/CHAIN_KIND must be "evm", got "besu"/);
  });
});
