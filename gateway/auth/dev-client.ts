// Dev mode: a registered backend client whose private key sits in the data dir, so a developer can
// call the FHIR API with curl straight after `npm start`. The token handed out is an ordinary
// five-minute token minted through the real token endpoint logic; `careledger token` mints the
// next one against the running node.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join, resolve } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { fetchBackendServicesToken, type BackendServicesToken } from './backend-services-client.js';
import { createClientAssertion } from './client-assertion.js';
import type { AuthStores } from './ports.js';
import { createSmartAuthService } from './smart-auth-service.js';
import { DEDICATED_SCOPES } from './smart-scopes.js';
import { JWT_BEARER_ASSERTION_TYPE } from './token-exchange.js';

export const DEV_CLIENT_ID = 'careledger-dev';
/**
 * Everything, including the dedicated staff scopes (erase, wallet link, break-glass tokens), so
 * every flow can be tried after `npm start`. Dev mode only: a real EHR client is registered with
 * the scopes it needs, and the dedicated ones only by name.
 */
const DEV_CLIENT_SCOPE = ['system/*.cruds', ...Object.values(DEDICATED_SCOPES)].join(' ');
const KEY_FILE = 'dev-client-es384.pem';
const COORDINATES_FILE = 'dev-client.json';

/** Where the dev client's key is and how to ask for tokens: no secret in here but a file path. */
export interface DevClientCoordinates {
  clientId: string;
  tokenUrl: string;
  alg: 'ES384';
  kid: string;
  privateKeyPath: string;
  scope: string;
}

/** What belongs in dev.json: the coordinates plus a bearer token ready to use. */
export interface DevClientCredentials extends DevClientCoordinates {
  /** Always true: this client and its key exist only in dev mode. */
  devOnly: true;
  accessToken: string;
  /** ISO 8601; five minutes after minting, like every access token the node issues. */
  expiresAt: string;
  /** Prints a fresh token while the node runs. */
  refreshCommand: string;
}

export interface DevClientOptions {
  /** The node's public base URL (the token URL derives from it). */
  publicBaseUrl: string;
  now?: () => number;
}

/**
 * Registers (or re-registers, if its key changed) the dev client, with an ES384 key generated on
 * first use and kept in `<dataDir>/dev-client-es384.pem` (mode 0600), writes the coordinates to
 * `<dataDir>/dev-client.json` and mints a token. Idempotent: call it at every dev start.
 */
export async function ensureDevClient(
  stores: AuthStores,
  dataDir: string,
  options: DevClientOptions,
): Promise<DevClientCredentials> {
  mkdirSync(dataDir, { recursive: true });
  const privateKeyPath = resolve(join(dataDir, KEY_FILE));
  const privateKey = loadOrCreateKey(privateKeyPath);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: publicJwk.kty!, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y });
  const jwks = { keys: [{ ...publicJwk, kid, alg: 'ES384', use: 'sig' }] };

  const service = createSmartAuthService({ stores, publicBaseUrl: options.publicBaseUrl, now: options.now });
  const existing = await service.registry.getClient(DEV_CLIENT_ID);
  const current = existing?.enabled && existing.jwks.keys.some((key) => key.kid === kid) && existing.scopes.join(' ') === DEV_CLIENT_SCOPE;
  if (!current) {
    await service.registry.registerClient(
      { clientId: DEV_CLIENT_ID, name: 'careledger dev client (dev mode only)', jwks, scopes: DEV_CLIENT_SCOPE.split(' ') },
      { replace: true },
    );
  }

  const coordinates: DevClientCoordinates = {
    clientId: DEV_CLIENT_ID,
    tokenUrl: service.tokenUrl,
    alg: 'ES384',
    kid,
    privateKeyPath,
    scope: DEV_CLIENT_SCOPE,
  };
  writeFileSync(join(dataDir, COORDINATES_FILE), JSON.stringify(coordinates, null, 2) + '\n');

  const assertion = await createClientAssertion({ ...coordinates, privateKey, now: options.now });
  const { response } = await service.exchange({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: assertion,
    scope: DEV_CLIENT_SCOPE,
  });
  const mintedAt = (options.now ?? Date.now)();
  return {
    devOnly: true,
    ...coordinates,
    accessToken: response.access_token,
    expiresAt: new Date(mintedAt + response.expires_in * 1000).toISOString(),
    refreshCommand: `DATA_DIR=${resolve(dataDir)} npx careledger token`,
  };
}

/** Mints a fresh dev token from the running node's token endpoint, using `<dataDir>/dev-client.json`. */
export async function refreshDevToken(dataDir: string, fetchImpl: typeof fetch = fetch): Promise<BackendServicesToken> {
  const path = join(dataDir, COORDINATES_FILE);
  if (!existsSync(path)) throw new Error(`${path} not found: start the node in dev mode first`);
  const coordinates = JSON.parse(readFileSync(path, 'utf8')) as DevClientCoordinates;
  return fetchBackendServicesToken({
    ...coordinates,
    privateKey: createPrivateKey(readFileSync(coordinates.privateKeyPath)),
    fetch: fetchImpl,
  });
}

function loadOrCreateKey(path: string): KeyObject {
  if (existsSync(path)) {
    // The key may predate a umask change or have been copied around: keep it owner-only.
    chmodSync(path, 0o600);
    const key = createPrivateKey(readFileSync(path));
    if (key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
      throw new Error(`${path} is not a P-384 private key; delete it to let dev mode create a new one`);
    }
    return key;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return privateKey;
}
