import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeKey, tempDatabase, TestClock, type TempDatabase } from '../../test/support/auth-fixture.js';
import { ClientRegistrationError, validateClientJwks } from './client-jwks.js';
import { ClientRegistry } from './client-registry.js';
import { SqliteClientStore } from '../store/client-store.js';
import type { Db } from '../store/database.js';

const ec = makeKey('ES384', 'ec-1');
const rsa = makeKey('RS384', 'rsa-1');

describe('validateClientJwks', () => {
  it('normalizes keys to their public members and fills alg', () => {
    const { alg: _alg, ...withoutAlg } = ec.publicJwk;
    const jwks = validateClientJwks({ keys: [{ ...withoutAlg, use: 'sig', x5c: ['ignored'] }, rsa.publicJwk] });
    expect(jwks.keys.map((k) => [k.kty, k.kid, k.alg, k.use])).toEqual([
      ['EC', 'ec-1', 'ES384', 'sig'],
      ['RSA', 'rsa-1', 'RS384', undefined],
    ]);
    expect(Object.keys(jwks.keys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  const privateEc = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });

  it.each<[string, unknown, RegExp]>([
    ['not a set', [ec.publicJwk], /JWK Set/],
    ['an empty set', { keys: [] }, /at least one key/],
    ['a private key', { keys: [{ ...privateEc, kid: 'p' }] }, /private key material \(d\)/],
    ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's' }] }, /private key material \(k\)/],
    ['a missing kid', { keys: [{ ...ec.publicJwk, kid: undefined }] }, /kid must be a non-empty string/],
    ['a duplicate kid', { keys: [ec.publicJwk, { ...rsa.publicJwk, kid: 'ec-1' }] }, /kid "ec-1" is not unique/],
    ['a P-256 key', { keys: [{ ...p256, kid: 'p256' }] }, /crv P-384/],
    ['an RSA key below 2048 bits', { keys: [{ ...rsa1024, kid: 'small' }] }, /1024 bits, at least 2048/],
    ['an RSA key claiming RS256', { keys: [{ ...rsa.publicJwk, alg: 'RS256' }] }, /alg RS384/],
    ['an EC key claiming ES256', { keys: [{ ...ec.publicJwk, alg: 'ES256' }] }, /alg ES384/],
    ['an encryption key', { keys: [{ ...ec.publicJwk, use: 'enc' }] }, /use must be "sig"/],
    ['key_ops without verify', { keys: [{ ...ec.publicJwk, key_ops: ['encrypt'] }] }, /key_ops/],
    ['an off-curve point', { keys: [{ ...ec.publicJwk, x: (ec.publicJwk.y as string) }] }, /not a usable public key/],
    ['an OKP key', { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'ed' }] }, /kty must be "RSA" \(RS384\) or "EC"/],
  ])('refuses %s', (_what, jwks, message) => {
    expect(() => validateClientJwks(jwks)).toThrow(ClientRegistrationError);
    expect(() => validateClientJwks(jwks)).toThrow(message);
  });
});

describe('ClientRegistry', () => {
  let temp: TempDatabase;
  let db: Db;
  let registry: ClientRegistry;
  const clock = new TestClock();

  beforeEach(() => {
    temp = tempDatabase();
    db = temp.open();
    registry = new ClientRegistry(new SqliteClientStore(db), clock.now);
  });

  afterEach(() => {
    db.close();
    temp.remove();
  });

  it('registers, reads back, lists and disables clients', async () => {
    const client = await registry.registerClient({
      clientId: 'ehr-main',
      name: ' Main EHR ',
      jwks: { keys: [ec.publicJwk] },
      scopes: ['system/*.rs', 'system/Patient.write', 'system/*.rs'],
    });
    expect(client).toMatchObject({
      clientId: 'ehr-main',
      name: 'Main EHR',
      scopes: ['system/*.rs', 'system/Patient.write'],
      enabled: true,
      createdAt: '2025-01-15T12:00:00.000Z',
    });
    expect(await registry.getClient('ehr-main')).toEqual(client);
    expect(await registry.getClient('other')).toBeUndefined();
    expect((await registry.listClients()).map((c) => c.clientId)).toEqual(['ehr-main']);

    expect(await registry.disableClient('ehr-main')).toBe(true);
    expect((await registry.getClient('ehr-main'))?.enabled).toBe(false);
    expect(await registry.disableClient('nobody')).toBe(false);
  });

  it('generates a client id when none is given', async () => {
    const client = await registry.registerClient({ name: 'Lab', jwks: { keys: [rsa.publicJwk] }, scopes: ['system/Observation.c'] });
    expect(client.clientId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('survives reopening the database file, creating its tables idempotently', async () => {
    await registry.registerClient({ clientId: 'ehr', name: 'EHR', jwks: { keys: [ec.publicJwk] }, scopes: ['system/*.rs'] });
    db.close();
    db = temp.open();
    const again = new ClientRegistry(new SqliteClientStore(db), clock.now);
    new ClientRegistry(new SqliteClientStore(db), clock.now);
    expect((await again.getClient('ehr'))?.jwks.keys[0].kid).toBe('ec-1');
  });

  it('refuses to overwrite a client unless asked to replace it, and replacing re-enables it', async () => {
    await registry.registerClient({ clientId: 'ehr', name: 'EHR', jwks: { keys: [ec.publicJwk] }, scopes: ['system/*.rs'] });
    await registry.disableClient('ehr');
    const registration = { clientId: 'ehr', name: 'EHR', jwks: { keys: [rsa.publicJwk] }, scopes: ['system/*.cruds'] };
    await expect(registry.registerClient(registration)).rejects.toThrow(/already registered/);
    const replaced = await registry.registerClient(registration, { replace: true });
    expect(replaced).toMatchObject({ enabled: true, scopes: ['system/*.cruds'] });
    expect(replaced.jwks.keys.map((k) => k.kid)).toEqual(['rsa-1']);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a bad client id', { clientId: 'has space' }, /clientId must be/],
    ['an empty name', { name: '  ' }, /name must not be empty/],
    ['no scopes', { scopes: [] }, /at least one scope/],
    ['a patient scope', { scopes: ['patient/*.read'] }, /scope "patient\/\*\.read" is not supported/],
    ['a granular scope', { scopes: ['system/Observation.rs?category=vital-signs'] }, /without a \?query/],
    ['a non-resource scope', { scopes: ['launch'] }, /not supported/],
  ])('refuses %s', async (_what, override, message) => {
    const registration = { clientId: 'ehr', name: 'EHR', jwks: { keys: [ec.publicJwk] }, scopes: ['system/*.rs'], ...override };
    await expect(registry.registerClient(registration as never)).rejects.toThrow(message);
    expect(await registry.listClients()).toEqual([]);
  });
});
