// The node's two long-lived secrets: the vault master key (wraps every data key) and the member
// key (secp256k1, signs anchors and member JWTs). Production supplies them from the
// environment (a KMS or secrets manager fills it); dev mode generates them once in the data
// directory with owner-only permissions and says so in the log.

import { Wallet, encryptKeystoreJsonSync } from 'ethers';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NodeKeys {
  masterKey: Buffer;
  memberWallet: Wallet;
  /** True when a key was generated into the data directory (dev mode only). */
  generated: boolean;
}

export interface NodeKeySources {
  dataDir: string;
  /** 64 hex characters; overrides the file. */
  masterKeyHex?: string;
  /** 0x-prefixed secp256k1 private key; overrides the keystore. */
  memberPrivateKey?: string;
  keystorePassword?: string;
  allowGenerate: boolean;
}

export function loadNodeKeys(sources: NodeKeySources): NodeKeys {
  const dir = join(sources.dataDir, 'keys');
  let generated = false;

  let masterKey: Buffer;
  if (sources.masterKeyHex) {
    masterKey = Buffer.from(sources.masterKeyHex, 'hex');
    if (masterKey.length !== 32) throw new Error('CARELEDGER_MASTER_KEY must be 64 hex characters (32 bytes)');
  } else {
    const path = join(dir, 'master.key');
    if (!existsSync(path)) {
      requireGenerate(sources, 'master key');
      writeSecret(dir, 'master.key', randomBytes(32).toString('hex'));
      generated = true;
    }
    masterKey = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
  }

  let memberWallet: Wallet;
  if (sources.memberPrivateKey) {
    memberWallet = new Wallet(sources.memberPrivateKey);
  } else {
    const keystorePath = join(dir, 'member.keystore.json');
    const password = sources.keystorePassword ?? devKeystorePassword(dir, sources);
    if (!existsSync(keystorePath)) {
      requireGenerate(sources, 'member key');
      const wallet = Wallet.createRandom();
      // scrypt N = 2^14 (16 MiB) instead of ethers' 2^17 (128 MiB): the default costs a node 128 MiB
      // of resident memory it never gives back, and the file is also guarded by 0600 permissions.
      const keystore = encryptKeystoreJsonSync({ address: wallet.address, privateKey: wallet.privateKey }, password, {
        scrypt: { N: 1 << 14 },
      });
      writeSecret(dir, 'member.keystore.json', keystore);
      generated = true;
    }
    const decrypted = Wallet.fromEncryptedJsonSync(readFileSync(keystorePath, 'utf8'), password);
    memberWallet = new Wallet(decrypted.privateKey);
  }
  return { masterKey, memberWallet, generated };
}

function devKeystorePassword(dir: string, sources: NodeKeySources): string {
  const path = join(dir, 'keystore.password');
  if (!existsSync(path)) {
    requireGenerate(sources, 'keystore password');
    writeSecret(dir, 'keystore.password', randomBytes(24).toString('base64url'));
  }
  return readFileSync(path, 'utf8').trim();
}

function requireGenerate(sources: NodeKeySources, what: string): void {
  if (!sources.allowGenerate) {
    throw new Error(`no ${what} configured and key generation is off (production mode): set it in the environment`);
  }
}

function writeSecret(dir: string, name: string, content: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}
