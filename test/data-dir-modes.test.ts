// Issue 12 finding 13: what the node keeps on disk is owner-only whatever the umask: DATA_DIR and
// its keys directory 0700, the database with its -wal and -shm files and every secret 0600, set
// when they are created and repaired when an existing data directory is opened. And the
// keystore's password is not read from beside the keystore outside dev mode.

import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadNodeKeys } from '../gateway/keys/node-keys.js';
import { lockDataDir } from '../gateway/store/data-dir-lock.js';
import { openDatabase } from '../gateway/store/database.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('modes of the data directory', () => {
  let dir: string;
  let umask: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-modes-'));
    // The loosest umask a host might have: everything it creates is world-readable unless the
    // node asks otherwise.
    umask = process.umask(0o000);
  });

  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database, its WAL and shared-memory files 0600 in a new 0700 directory', () => {
    const path = join(dir, 'data', 'careledger.db');
    const db = openDatabase(path);
    db.prepare("INSERT INTO node_state (key, value) VALUES ('k', 'v')").run();
    // The search index's own file (search-file.ts), with its WAL and shared memory, too.
    db.prepare("INSERT INTO search.index_state (key, value) VALUES ('k', 'v')").run();
    const search = join(dir, 'data', 'careledger-search.db');
    expect(mode(join(dir, 'data'))).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`, search, `${search}-wal`, `${search}-shm`]) expect([file, mode(file)]).toEqual([file, 0o600]);
    db.close();
  });

  it('repairs the modes of an existing database and its WAL files when it is opened', () => {
    const path = join(dir, 'careledger.db');
    const first = openDatabase(path);
    first.prepare("INSERT INTO node_state (key, value) VALUES ('k', 'v')").run();
    first.prepare("INSERT INTO search.index_state (key, value) VALUES ('k', 'v')").run();
    const search = join(dir, 'careledger-search.db');
    const files = [path, `${path}-wal`, `${path}-shm`, search, `${search}-wal`, `${search}-shm`];
    for (const file of files) chmodSync(file, 0o644);
    const second = openDatabase(path);
    for (const file of files) expect([file, mode(file)]).toEqual([file, 0o600]);
    second.close();
    first.close();
  });

  it('makes DATA_DIR 0700 and its lock file 0600 when a process takes it', () => {
    chmodSync(dir, 0o755);
    const lock = lockDataDir(dir, 'a test');
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'node.pid'))).toBe(0o600);
    lock.release();
  });

  it('keeps generated keys 0600 in a 0700 keys directory, and repairs ones that were loosened', () => {
    loadNodeKeys({ dataDir: dir, allowGenerate: true });
    const keys = join(dir, 'keys');
    const secrets = ['master.key', 'member.keystore.json', 'keystore.password'].map((name) => join(keys, name));
    expect(mode(keys)).toBe(0o700);
    for (const file of secrets) expect([file, mode(file)]).toEqual([file, 0o600]);

    chmodSync(keys, 0o755);
    for (const file of secrets) chmodSync(file, 0o644);
    loadNodeKeys({ dataDir: dir, allowGenerate: true });
    expect(mode(keys)).toBe(0o700);
    for (const file of secrets) expect([file, mode(file)]).toEqual([file, 0o600]);
  });

  // As startNode loads them outside dev mode (allowGenerate and allowPasswordFile both config.dev).
  it('outside dev mode, refuses a keystore password file and asks for CARELEDGER_KEYSTORE_PASSWORD', () => {
    const dev = loadNodeKeys({ dataDir: dir, allowGenerate: true });
    const masterKeyHex = dev.masterKey.toString('hex');
    const password = readFileSync(join(dir, 'keys', 'keystore.password'), 'utf8').trim();
    // Neither read without a password in the environment nor tolerated beside one.
    expect(() => loadNodeKeys({ dataDir: dir, masterKeyHex, allowGenerate: false, allowPasswordFile: false })).toThrow(/keystore\.password .*CARELEDGER_KEYSTORE_PASSWORD, then delete the file/);
    expect(() => loadNodeKeys({ dataDir: dir, masterKeyHex, keystorePassword: password, allowGenerate: false, allowPasswordFile: false })).toThrow(/delete the file/);

    rmSync(join(dir, 'keys', 'keystore.password'));
    expect(() => loadNodeKeys({ dataDir: dir, masterKeyHex, allowGenerate: false, allowPasswordFile: false })).toThrow(/set CARELEDGER_KEYSTORE_PASSWORD/);
    const production = loadNodeKeys({ dataDir: dir, masterKeyHex, keystorePassword: password, allowGenerate: false, allowPasswordFile: false });
    expect(production.memberWallet.address).toBe(dev.memberWallet.address);
  });

  it('lets an offline CLI command read the password file of a dev data directory', () => {
    const dev = loadNodeKeys({ dataDir: dir, allowGenerate: true });
    const cli = loadNodeKeys({ dataDir: dir, allowGenerate: false });
    expect(cli.memberWallet.address).toBe(dev.memberWallet.address);
  });
});
