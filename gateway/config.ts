// All configuration in one typed place, read from the environment and validated at start.
// Every setting has a default that runs the node embedded (own dev chain, generated keys), so
// `npm start` works on a fresh machine; production sets the chain and the secrets.

import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

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
  /** null: start the embedded dev chain. */
  chain: ExternalChainConfig | null;
  /** Embedded chain only: the port anvil listens on (0 picks a free one). */
  embeddedChainPort: number;
  batch: { maxLeaves: number; maxAgeMs: number };
  bodyLimitBytes: number;
  /** Worker threads for full R4 validation; 0 validates on the main thread. */
  r4ValidationWorkers: number;
  logLevel: string;
  secrets: { masterKeyHex?: string; memberPrivateKey?: string; keystorePassword?: string };
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
    chain,
    embeddedChainPort: integer(env, 'EMBEDDED_CHAIN_PORT', 0, 0, 65535),
    batch: {
      maxLeaves: integer(env, 'BATCH_MAX_LEAVES', 4096, 1, 1 << 20),
      maxAgeMs: integer(env, 'BATCH_MAX_AGE_MS', 1000, 10, 3_600_000),
    },
    bodyLimitBytes: integer(env, 'FHIR_BODY_LIMIT_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    r4ValidationWorkers: integer(env, 'R4_VALIDATION_WORKERS', Math.max(1, availableParallelism() - 1), 0, 64),
    logLevel: env.LOG_LEVEL ?? 'info',
    secrets: {
      masterKeyHex: env.CARELEDGER_MASTER_KEY,
      memberPrivateKey: env.CARELEDGER_MEMBER_KEY,
      keystorePassword: env.CARELEDGER_KEYSTORE_PASSWORD,
    },
  };
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
