// All configuration in one typed place, read from the environment and validated at start.
// Every setting has a default that runs the node embedded (own dev chain, generated keys), so
// `npm start` works on a fresh machine; production sets the chain and the secrets.

import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { JWK } from 'jose';
import { configuredBackend, type ProverBackend } from './cohort/prover-backend.js';
import { LedgerKindError, parseLedgerKind } from './ledger/ledger-kind.js';
import type { LedgerKind } from './ledger/ports.js';
import { memberUrlsFrom } from './telehealth/member-urls.js';
import { retentionPolicyFrom, type RetentionPolicy } from './telehealth/retention-policy.js';
import type { TurnSettings } from './telehealth/turn-credentials.js';
import type { RelayLimits } from './telehealth/signaling-relay.js';

export interface ExternalChainConfig {
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, string>;
  gasPrice: bigint;
}

export interface NodeConfig {
  port: number;
  host: string;
  dataDir: string;
  /** How clients reach this node; used in Location headers, token audiences and dev.json. */
  publicUrl: string;
  orgId: string;
  /** Dev mode generates keys and registers a dev client; production refuses to. */
  dev: boolean;
  /** Which ledger implementation the ports come from (CHAIN_KIND); the factory map in gateway/ledger/factory.ts. */
  chainKind: LedgerKind;
  /** null: start the embedded dev chain. */
  chain: ExternalChainConfig | null;
  /** Embedded chain only: the port of its filtered RPC endpoint (0 picks a free one). */
  embeddedChainPort: number;
  /** Deadline in ms for each chain RPC round trip; a hung chain fails calls instead of holding them. */
  chainTimeoutMs: number;
  batch: { maxLeaves: number; maxAgeMs: number };
  bodyLimitBytes: number;
  /** What one request or one client may cost the node (docs/security.md, "Request limits"). */
  limits: RequestLimits;
  /** Worker threads for full R4 validation; 0 validates on the main thread. */
  r4ValidationWorkers: number;
  /** Cohort and eligibility proofs: the native prover when it builds (auto), or one named. */
  zkProver: ProverBackend | 'auto';
  logLevel: string;
  /** Human-readable log lines (pino-pretty) instead of JSON: `careledger start` sets it when stdout is a terminal. */
  prettyLogs?: boolean;
  secrets: { masterKeyHex?: string; memberPrivateKey?: string; keystorePassword?: string };
  /** EHR integration; each adapter is off (null / empty) unless configured. Bulk $export is always on. */
  adapters: AdaptersConfig;
  /** Telehealth records: retention per channel (TELEHEALTH_RETENTION_*) and other members' node URLs (TELEHEALTH_MEMBER_URLS). */
  telehealthRecords: TelehealthRecordsConfig;
  /** TURN servers handed out with consult join tokens (TELEHEALTH_TURN_URLS, _SECRET, _TTL_SECONDS, _RELAY_ONLY). */
  telehealthTurn: TurnSettings;
  /** The consult relay: join-token lifetime, signaling limits, the paging webhook (TELEHEALTH_JOIN_TOKEN_TTL_SECONDS, TELEHEALTH_RELAY_*, TELEHEALTH_ESCALATION_WEBHOOK_*). */
  telehealthRelay: TelehealthRelayConfig;
  /** The web console at /console (CONSOLE_EXPLORER_TX_URL, CONSOLE_CHAIN_RPC_URL); defaults when absent. */
  console?: ConsoleSettings;
}

export interface ConsoleSettings {
  /** A block explorer's transaction page with `{tx}` where the hash goes; null: hashes are shown, not linked. */
  explorerTxUrl: string | null;
  /** The chain RPC a browser reaches for in-browser verification; null: the node's own chain URL. */
  browserRpcUrl: string | null;
  /** Sign-in through the hospital's OpenID Connect provider (CONSOLE_OIDC_*); null: not offered. */
  oidc: ConsoleOidcSettings | null;
}

export interface ConsoleOidcSettings {
  /** CONSOLE_OIDC_ISSUER: the provider's issuer, exactly as its tokens name it in `iss`. */
  issuer: string;
  /** CONSOLE_OIDC_CLIENT_ID: the console's public client at the provider; tokens carry it in `aud`. */
  clientId: string;
  /** CONSOLE_OIDC_SCOPES: what the console asks the provider for. Default `openid profile`. */
  scopes: string;
  /** CONSOLE_OIDC_ROLE_CLAIM: where the roles are in the token (dotted path). Default `groups`. */
  roleClaim: string;
}

export interface TelehealthRelayConfig {
  joinTokenTtlSeconds: number;
  limits: RelayLimits;
  /** Where escalations are POSTed for the hospital's paging system; null: no webhook. */
  escalationWebhook: { url: string; secret: string } | null;
}

export interface TelehealthRecordsConfig {
  retention: RetentionPolicy;
  /** Base URL of each member's node by member id, for deliveries between members (visit notes). */
  memberUrls: Record<string, string>;
}

export type FhirVersion = 'R4' | 'R5';

export interface RequestLimits {
  /** Deepest nesting of objects and arrays in any JSON body or message. */
  maxJsonDepth: number;
  /** Largest _count a search or history page honours; larger asks get this many and a next link. */
  searchMaxCount: number;
  /** Search parameters (and comma-separated values) one search may carry. */
  searchMaxParameters: number;
  /** Entries in one batch or transaction Bundle. */
  bundleMaxEntries: number;
  /** Resources the read entries of one batch or transaction may return together. */
  batchMaxResources: number;
  http: {
    /** Time to receive the request headers. */
    headersTimeoutMs: number;
    /** Time to receive the whole request, body included. */
    requestTimeoutMs: number;
    /** A socket with no traffic either way is closed after this long. */
    idleTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnectionsPerIp: number;
  };
  rateLimit: {
    windowMs: number;
    /** Requests per window for each authenticated SMART client. */
    perClient: number;
    /** Requests per window for each IP address whose requests carry no valid client token. */
    perIp: number;
  };
}

export interface AdaptersConfig {
  hl7: Hl7AdapterConfig | null;
  kafka: KafkaAdapterConfig | null;
  /** How the node authenticates to the EHR (REST sync and id-only Subscriptions fetches). */
  ehrAuth: EhrAuthConfig | null;
  restSync: RestSyncAdapterConfig | null;
  subscriptions: SubscriptionEndpointConfig[];
}

export interface Hl7AdapterConfig {
  port: number;
  host: string;
}

export interface KafkaAdapterConfig {
  brokers: string[];
  topic: string;
  groupId: string;
  deadLetterTopic: string;
  /** Each anchored receipt is published here when set. */
  receiptsTopic: string | null;
  defaultVersion: FhirVersion;
}

export interface EhrAuthConfig {
  clientId: string;
  /** The private JWK read from EHR_PRIVATE_KEY_FILE (checked to be a private key of `alg`'s type). */
  privateKey: JWK;
  kid: string;
  alg: 'RS384' | 'ES384';
  scope: string;
  /** null: discovered from <EHR_FHIR_BASE>/.well-known/smart-configuration. */
  tokenUrl: string | null;
}

export interface RestSyncAdapterConfig {
  fhirBase: string;
  fhirVersion: FhirVersion;
  types: string[];
  intervalMs: number;
  pageSize: number;
  detectDeletes: boolean;
}

export interface SubscriptionEndpointConfig {
  id: string;
  secret: { header: string; value: string };
  fhirVersion: FhirVersion;
  types: string[];
  /** Where id-only notifications are fetched from (defaults to EHR_FHIR_BASE). */
  fhirBase: string;
  subscription?: string;
}

/** What most EHRs expose for system-level reads and what the node's intake maps end to end. */
export const DEFAULT_SYNC_TYPES = [
  'Patient',
  'Encounter',
  'Observation',
  'Condition',
  'Procedure',
  'MedicationRequest',
  'DiagnosticReport',
  'AllergyIntolerance',
  'Immunization',
];

function zkProverSetting(value: string | undefined): NodeConfig['zkProver'] {
  try {
    return configuredBackend(value);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): NodeConfig {
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST ?? '127.0.0.1';
  const dataDirRaw = env.DATA_DIR ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const chainKind = ledgerKind(env);
  const chain = externalChain(env);
  const dev = (env.CARELEDGER_MODE ?? (chain ? 'production' : 'dev')) === 'dev';
  if (env.CARELEDGER_MODE && !['dev', 'production'].includes(env.CARELEDGER_MODE)) {
    throw new ConfigError(`CARELEDGER_MODE must be "dev" or "production", got "${env.CARELEDGER_MODE}"`);
  }
  const publicUrl = (env.PUBLIC_URL ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`).replace(/\/$/, '');
  if (!/^https?:\/\//.test(publicUrl)) throw new ConfigError(`PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  const orgId = env.CARELEDGER_ORG_ID ?? 'dev-hospital';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(orgId)) {
    throw new ConfigError('CARELEDGER_ORG_ID must be 1-64 characters of letters, digits, dot, dash or underscore');
  }
  return {
    port,
    host,
    dataDir,
    publicUrl,
    orgId,
    dev,
    chainKind,
    chain,
    embeddedChainPort: integer(env, 'EMBEDDED_CHAIN_PORT', 0, 0, 65535),
    chainTimeoutMs: integer(env, 'CHAIN_TIMEOUT_MS', 10_000, 100, 300_000),
    batch: {
      // Large enough to absorb a backlog: anchoring is one transaction at a time, so on a chain
      // with 2 s blocks a 4,096 cap would anchor at most ~2,000 leaves/s and fall behind intake.
      maxLeaves: integer(env, 'BATCH_MAX_LEAVES', 16384, 1, 1 << 20),
      maxAgeMs: integer(env, 'BATCH_MAX_AGE_MS', 1000, 10, 3_600_000),
    },
    // 8 MiB: three times a 500-resource Synthea Bundle (2.7 MB). At 16 MiB one body at the limit
    // took the node (384 MB heap) to 387-440 MB resident; at 8 MiB 328-344 MB (bounded-resources test).
    bodyLimitBytes: integer(env, 'FHIR_BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    limits: requestLimits(env),
    r4ValidationWorkers: integer(env, 'R4_VALIDATION_WORKERS', Math.max(1, availableParallelism() - 1), 0, 64),
    zkProver: zkProverSetting(env.CARELEDGER_ZK_PROVER),
    logLevel: env.LOG_LEVEL ?? 'info',
    secrets: {
      masterKeyHex: env.CARELEDGER_MASTER_KEY,
      memberPrivateKey: env.CARELEDGER_MEMBER_KEY,
      keystorePassword: env.CARELEDGER_KEYSTORE_PASSWORD,
    },
    adapters: adaptersConfig(env, orgId, cwd),
    telehealthRecords: telehealthRecordsConfig(env, cwd),
    telehealthTurn: telehealthTurnConfig(env),
    telehealthRelay: telehealthRelayConfig(env),
    console: consoleSettings(env),
  };
}

function consoleSettings(env: Env): ConsoleSettings {
  const explorer = env.CONSOLE_EXPLORER_TX_URL || null;
  if (explorer !== null && (!/^https?:\/\//.test(explorer) || !explorer.includes('{tx}'))) {
    throw new ConfigError(`CONSOLE_EXPLORER_TX_URL must be an http(s) URL with {tx} where the transaction hash goes, e.g. https://explorer.example/tx/{tx}; got ${explorer}`);
  }
  const rpc = env.CONSOLE_CHAIN_RPC_URL || null;
  if (rpc !== null && !/^https?:\/\//.test(rpc)) throw new ConfigError(`CONSOLE_CHAIN_RPC_URL must be an http(s) URL a browser can reach; got ${rpc}`);
  return { explorerTxUrl: explorer, browserRpcUrl: rpc, oidc: consoleOidcSettings(env) };
}

function consoleOidcSettings(env: Env): ConsoleOidcSettings | null {
  const issuer = env.CONSOLE_OIDC_ISSUER || null;
  const clientId = env.CONSOLE_OIDC_CLIENT_ID || null;
  if (!issuer && !clientId) return null;
  if (!issuer || !clientId) throw new ConfigError('CONSOLE_OIDC_ISSUER and CONSOLE_OIDC_CLIENT_ID go together: set both for console sign-in through the hospital provider, or neither');
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`CONSOLE_OIDC_ISSUER must be the provider's issuer URL, e.g. https://login.hospital.example/realms/staff; got ${issuer}`);
  }
  // Plain http only on loopback: the keys that decide who signs in must not cross a network in clear.
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError(`CONSOLE_OIDC_ISSUER must be an https URL (http only on loopback); got ${issuer}`);
  }
  const scopes = (env.CONSOLE_OIDC_SCOPES || 'openid profile').trim();
  if (!scopes.split(/\s+/).includes('openid')) throw new ConfigError(`CONSOLE_OIDC_SCOPES must include openid (the console signs in with an ID token); got "${scopes}"`);
  const roleClaim = env.CONSOLE_OIDC_ROLE_CLAIM || 'groups';
  if (!/^[A-Za-z0-9_:\-/]+(\.[A-Za-z0-9_:\-/]+)*$/.test(roleClaim)) throw new ConfigError(`CONSOLE_OIDC_ROLE_CLAIM must be a claim name or a dotted path like realm_access.roles; got "${roleClaim}"`);
  return { issuer, clientId, scopes, roleClaim };
}

/** The consult relay's settings; defaults are signaling-relay.ts's DEFAULT_RELAY_LIMITS and a 5-minute join token. */
function telehealthRelayConfig(env: Env): TelehealthRelayConfig {
  const webhookUrl = env.TELEHEALTH_ESCALATION_WEBHOOK_URL;
  const webhookSecret = env.TELEHEALTH_ESCALATION_WEBHOOK_SECRET ?? '';
  if (webhookUrl && webhookSecret.length < 16) {
    throw new ConfigError('TELEHEALTH_ESCALATION_WEBHOOK_SECRET (at least 16 characters, shared with the paging system) must be set with TELEHEALTH_ESCALATION_WEBHOOK_URL');
  }
  const heartbeatIntervalMs = integer(env, 'TELEHEALTH_RELAY_HEARTBEAT_INTERVAL_MS', 10_000, 1000, 300_000);
  const heartbeatTimeoutMs = integer(env, 'TELEHEALTH_RELAY_HEARTBEAT_TIMEOUT_MS', 30_000, 2000, 600_000);
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) {
    throw new ConfigError('TELEHEALTH_RELAY_HEARTBEAT_TIMEOUT_MS must exceed TELEHEALTH_RELAY_HEARTBEAT_INTERVAL_MS, or every participant is dropped between two heartbeats');
  }
  return {
    // A join token is single use and re-checked at the door; 10 minutes is the most the issue allows.
    joinTokenTtlSeconds: integer(env, 'TELEHEALTH_JOIN_TOKEN_TTL_SECONDS', 300, 10, 600),
    limits: {
      maxMessageBytes: integer(env, 'TELEHEALTH_RELAY_MAX_MESSAGE_BYTES', 64 * 1024, 4096, 1024 * 1024),
      burst: integer(env, 'TELEHEALTH_RELAY_BURST', 50, 5, 10_000),
      messagesPerSecond: integer(env, 'TELEHEALTH_RELAY_MESSAGES_PER_SECOND', 25, 1, 10_000),
      heartbeatIntervalMs,
      heartbeatTimeoutMs,
      admissionTimeoutMs: integer(env, 'TELEHEALTH_RELAY_ADMISSION_TIMEOUT_MS', 10_000, 500, 120_000),
      maxBufferedBytes: integer(env, 'TELEHEALTH_RELAY_MAX_BUFFERED_BYTES', 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    },
    escalationWebhook: webhookUrl ? { url: httpUrl(env, 'TELEHEALTH_ESCALATION_WEBHOOK_URL'), secret: webhookSecret } : null,
  };
}

/** TURN for consults (coturn REST-API credentials): off (peer-to-peer only) unless TELEHEALTH_TURN_URLS is set. */
function telehealthTurnConfig(env: Env): TurnSettings {
  const urls = list(env.TELEHEALTH_TURN_URLS ?? '');
  for (const url of urls) {
    if (!/^(turns?|stun):[^\s]+$/.test(url)) throw new ConfigError(`TELEHEALTH_TURN_URLS: each URL is turn:, turns: or stun:, got "${url}"`);
  }
  const secret = env.TELEHEALTH_TURN_SECRET ?? '';
  if (urls.length > 0 && secret.length < 16) {
    throw new ConfigError("TELEHEALTH_TURN_SECRET must be the TURN server's static-auth-secret (at least 16 characters) when TELEHEALTH_TURN_URLS is set");
  }
  const relayOnly = env.TELEHEALTH_TURN_RELAY_ONLY ?? 'false';
  if (relayOnly !== 'true' && relayOnly !== 'false') throw new ConfigError(`TELEHEALTH_TURN_RELAY_ONLY must be true or false, got "${relayOnly}"`);
  if (relayOnly === 'true' && urls.length === 0) throw new ConfigError('TELEHEALTH_TURN_RELAY_ONLY=true needs TELEHEALTH_TURN_URLS: relay-only media needs a TURN server');
  return { urls, secret, ttlSeconds: integer(env, 'TELEHEALTH_TURN_TTL_SECONDS', 3600, 60, 86_400), relayOnly: relayOnly === 'true' };
}

function telehealthRecordsConfig(env: Env, cwd: string): TelehealthRecordsConfig {
  try {
    return { retention: retentionPolicyFrom(env, cwd), memberUrls: memberUrlsFrom(env.TELEHEALTH_MEMBER_URLS) };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

export function requestLimits(env: Env): RequestLimits {
  const limits: RequestLimits = {
    maxJsonDepth: integer(env, 'FHIR_MAX_JSON_DEPTH', 100, 16, 1000),
    searchMaxCount: integer(env, 'FHIR_SEARCH_MAX_COUNT', 1000, 1, 10_000),
    searchMaxParameters: integer(env, 'FHIR_SEARCH_MAX_PARAMETERS', 100, 1, 1000),
    // `careledger import` and the bench send 500 entries a Bundle.
    bundleMaxEntries: integer(env, 'FHIR_BUNDLE_MAX_ENTRIES', 1000, 1, 100_000),
    // One full search page: a Bundle's reads together return no more than one search could.
    batchMaxResources: integer(env, 'FHIR_BATCH_MAX_RESOURCES', 1000, 1, 100_000),
    http: {
      headersTimeoutMs: integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 20_000, 1000, 600_000),
      // A 16 MiB Bundle needs well under a second on a hospital network; 60 s leaves room for a
      // slow link and cuts a client that trickles its body.
      requestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 60_000, 1000, 3_600_000),
      // Above the slowest answer the node computes without sending (a cohort proof).
      idleTimeoutMs: integer(env, 'HTTP_IDLE_TIMEOUT_MS', 120_000, 1000, 3_600_000),
      // fastify's default, above the 60 s of common load balancers. Shorter ones (5 s) reset
      // requests a busy node reads late: the idle timer fires first (measured: ECONNRESET under
      // 32 concurrent 1,000-resource searches). Idle sockets count against the per-address cap.
      keepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000),
      maxConnectionsPerIp: integer(env, 'HTTP_MAX_CONNECTIONS_PER_IP', 256, 1, 100_000),
    },
    rateLimit: {
      windowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 3_600_000),
      perClient: integer(env, 'RATE_LIMIT_PER_CLIENT', 60_000, 1, 10_000_000),
      perIp: integer(env, 'RATE_LIMIT_PER_IP', 6000, 1, 10_000_000),
    },
  };
  if (limits.http.headersTimeoutMs > limits.http.requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  }
  return limits;
}

function adaptersConfig(env: Env, orgId: string, cwd: string): AdaptersConfig {
  const ehrAuth = ehrAuthConfig(env, cwd);
  const restSync = restSyncConfig(env);
  return {
    hl7: env.HL7_MLLP_PORT ? { port: integer(env, 'HL7_MLLP_PORT', 2575, 0, 65535), host: env.HL7_MLLP_HOST || '127.0.0.1' } : null,
    kafka: kafkaConfig(env, orgId),
    ehrAuth,
    restSync,
    subscriptions: subscriptionsConfig(env, cwd, restSync),
  };
}

function kafkaConfig(env: Env, orgId: string): KafkaAdapterConfig | null {
  if (!env.KAFKA_BROKERS) return null;
  const brokers = list(env.KAFKA_BROKERS);
  const bad = brokers.filter((broker) => !/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(broker));
  if (brokers.length === 0 || bad.length > 0) {
    throw new ConfigError(`KAFKA_BROKERS must be a comma list of host:port, got "${env.KAFKA_BROKERS}"`);
  }
  const topic = topicName(env, 'KAFKA_TOPIC', 'careledger.fhir.in')!;
  return {
    brokers,
    topic,
    groupId: env.KAFKA_GROUP_ID || `careledger-${orgId}`,
    deadLetterTopic: topicName(env, 'KAFKA_DEAD_LETTER_TOPIC', `${topic}.dlq`)!,
    receiptsTopic: topicName(env, 'KAFKA_RECEIPTS_TOPIC', null),
    defaultVersion: fhirVersion(env, 'KAFKA_FHIR_VERSION', 'R4'),
  };
}

function ehrAuthConfig(env: Env, cwd: string): EhrAuthConfig | null {
  const keyFile = env.EHR_PRIVATE_KEY_FILE;
  if (!env.EHR_CLIENT_ID && !keyFile) return null;
  if (!env.EHR_CLIENT_ID || !keyFile) throw new ConfigError('EHR_CLIENT_ID and EHR_PRIVATE_KEY_FILE go together (SMART Backend Services)');
  const alg = env.EHR_KEY_ALG ?? 'ES384';
  if (alg !== 'RS384' && alg !== 'ES384') throw new ConfigError(`EHR_KEY_ALG must be RS384 or ES384, got "${alg}"`);
  const path = isAbsolute(keyFile) ? keyFile : resolve(cwd, keyFile);
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } catch (error) {
    throw new ConfigError(`EHR_PRIVATE_KEY_FILE ${path}: cannot read a JSON private JWK (${(error as Error).message})`);
  }
  const expected = alg === 'RS384' ? { kty: 'RSA' } : { kty: 'EC', crv: 'P-384' };
  if (jwk.kty !== expected.kty || (expected.crv && jwk.crv !== expected.crv) || !jwk.d) {
    throw new ConfigError(`EHR_PRIVATE_KEY_FILE ${path} must hold a private ${alg === 'RS384' ? 'RSA' : 'P-384 EC'} JWK for EHR_KEY_ALG=${alg}`);
  }
  if (!jwk.kid) throw new ConfigError(`EHR_PRIVATE_KEY_FILE ${path}: the JWK needs a kid (the EHR selects the public key by it)`);
  try {
    createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new ConfigError(`EHR_PRIVATE_KEY_FILE ${path} is not a usable private key: ${(error as Error).message}`);
  }
  return {
    clientId: env.EHR_CLIENT_ID,
    privateKey: jwk,
    kid: jwk.kid,
    alg,
    scope: env.EHR_SCOPE || 'system/*.rs',
    tokenUrl: env.EHR_TOKEN_URL ? httpUrl(env, 'EHR_TOKEN_URL') : null,
  };
}

function restSyncConfig(env: Env): RestSyncAdapterConfig | null {
  if (!env.EHR_FHIR_BASE) return null;
  const types = env.EHR_SYNC_TYPES ? list(env.EHR_SYNC_TYPES) : DEFAULT_SYNC_TYPES;
  const badType = types.find((type) => !/^[A-Z][A-Za-z]{1,63}$/.test(type));
  if (types.length === 0 || badType !== undefined) {
    throw new ConfigError(`EHR_SYNC_TYPES must be a comma list of resource types such as Patient,Observation, got "${env.EHR_SYNC_TYPES}"`);
  }
  const detectDeletes = env.EHR_SYNC_DELETES ?? 'true';
  if (!['true', 'false'].includes(detectDeletes)) throw new ConfigError(`EHR_SYNC_DELETES must be true or false, got "${detectDeletes}"`);
  return {
    fhirBase: httpUrl(env, 'EHR_FHIR_BASE').replace(/\/+$/, ''),
    fhirVersion: fhirVersion(env, 'EHR_FHIR_VERSION', 'R4'),
    types: [...new Set(types)],
    intervalMs: integer(env, 'EHR_SYNC_INTERVAL_MS', 60_000, 100, 86_400_000),
    pageSize: integer(env, 'EHR_SYNC_PAGE_SIZE', 100, 1, 1000),
    detectDeletes: detectDeletes === 'true',
  };
}

function subscriptionsConfig(env: Env, cwd: string, restSync: RestSyncAdapterConfig | null): SubscriptionEndpointConfig[] {
  const file = env.SUBSCRIPTIONS_FILE;
  if (!file) return [];
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`SUBSCRIPTIONS_FILE ${path}: cannot read JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(raw)) throw new ConfigError(`SUBSCRIPTIONS_FILE ${path} must hold a JSON array of endpoints`);
  const ids = new Set<string>();
  return raw.map((entry: unknown, index): SubscriptionEndpointConfig => {
    const fail = (what: string): never => {
      throw new ConfigError(`SUBSCRIPTIONS_FILE ${path}: endpoint [${index}] ${what}`);
    };
    if (typeof entry !== 'object' || entry === null) return fail('must be an object');
    const e = entry as Record<string, unknown>;
    const secret = e.secret as { header?: unknown; value?: unknown } | undefined;
    const types = e.types;
    if (typeof e.id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(e.id)) fail('needs an "id" of 1-64 letters, digits, dot, dash or underscore');
    if (ids.has(e.id as string)) fail(`repeats the id "${e.id}"`);
    ids.add(e.id as string);
    if (typeof secret?.header !== 'string' || !/^[A-Za-z0-9-]+$/.test(secret.header) || typeof secret.value !== 'string' || secret.value.length < 16) {
      fail('needs "secret": {"header": "X-...", "value": "<at least 16 characters>"}');
    }
    if (!Array.isArray(types) || types.length === 0 || !types.every((type) => typeof type === 'string' && /^[A-Z][A-Za-z]+$/.test(type))) {
      fail('needs "types": a non-empty list of resource types (what a catch-up re-syncs)');
    }
    const version = e.fhirVersion ?? restSync?.fhirVersion ?? 'R4';
    if (version !== 'R4' && version !== 'R5') fail(`has fhirVersion "${String(version)}"; use R4 or R5`);
    const fhirBase = e.fhirBase ?? restSync?.fhirBase;
    if (typeof fhirBase !== 'string' || !/^https?:\/\//.test(fhirBase)) fail('needs "fhirBase" (or EHR_FHIR_BASE): id-only notifications are fetched from it');
    if (e.subscription !== undefined && typeof e.subscription !== 'string') fail('has a "subscription" that is not a string');
    return {
      id: e.id as string,
      secret: { header: (secret as { header: string }).header, value: (secret as { value: string }).value },
      fhirVersion: version as FhirVersion,
      types: types as string[],
      fhirBase: (fhirBase as string).replace(/\/+$/, ''),
      ...(e.subscription ? { subscription: e.subscription as string } : {}),
    };
  });
}

function list(raw: string): string[] {
  return raw.split(',').map((part) => part.trim()).filter(Boolean);
}

function topicName(env: Env, name: string, fallback: string | null): string | null {
  const value = env[name] || fallback;
  // Kafka's own rule for topic names.
  if (value !== null && !/^[A-Za-z0-9._-]{1,249}$/.test(value)) {
    throw new ConfigError(`${name} must be 1-249 letters, digits, dot, dash or underscore, got "${value}"`);
  }
  return value;
}

function fhirVersion(env: Env, name: string, fallback: FhirVersion): FhirVersion {
  const value = env[name] || fallback;
  if (value !== 'R4' && value !== 'R5') throw new ConfigError(`${name} must be R4 or R5, got "${value}"`);
  return value;
}

function httpUrl(env: Env, name: string): string {
  const value = env[name]!;
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new ConfigError(`${name} must be an http(s) URL, got "${value}"`);
  return value;
}

function ledgerKind(env: Env): LedgerKind {
  try {
    return parseLedgerKind(env.CHAIN_KIND || 'evm', 'CHAIN_KIND');
  } catch (error) {
    if (error instanceof LedgerKindError) throw new ConfigError(error.message);
    throw error;
  }
}

function externalChain(env: Env): ExternalChainConfig | null {
  const rpcUrl = env.CHAIN_RPC_URL;
  if (!rpcUrl) return null;
  if (!/^(https?|wss?):\/\//.test(rpcUrl)) throw new ConfigError(`CHAIN_RPC_URL must be an http(s) or ws(s) URL, got "${rpcUrl}"`);
  const chainId = integer(env, 'CHAIN_ID', 0, 1, Number.MAX_SAFE_INTEGER);
  let contracts: Record<string, string>;
  try {
    contracts = JSON.parse(env.CHAIN_CONTRACTS ?? '') as Record<string, string>;
  } catch {
    throw new ConfigError('CHAIN_CONTRACTS must be JSON such as {"ConsortiumRegistry":"0x…","AnchorRegistry":"0x…"}');
  }
  for (const name of ['ConsortiumRegistry', 'AnchorRegistry']) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(contracts[name] ?? '')) throw new ConfigError(`CHAIN_CONTRACTS.${name} must be an address`);
  }
  return { rpcUrl, chainId, contracts, gasPrice: BigInt(integer(env, 'CHAIN_GAS_PRICE', 0, 0, Number.MAX_SAFE_INTEGER)) };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
