// The node's two long-lived secrets: the vault master key (wraps every data key) and the member
// key (secp256k1, signs anchors and member JWTs). Production supplies them from the
// environment (a KMS or secrets manager fills it); dev mode generates them once in the data
// directory with owner-only permissions and says so in the log.
// The keystore's password sits beside the keystore only in dev mode (`keys/keystore.password`):
// whoever can read one can read the other, so outside dev mode the password must come from the
// environment (CARELEDGER_KEYSTORE_PASSWORD) and a password file is refused, not read. Modes are
// set when a secret is written and repaired at every load (keys/ 0700, each file 0600), since a
// restore from backup or a copy can leave them world-readable.

import { Wallet, encryptKeystoreJsonSync } from 'ethers';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
  /**
   * Whether `keys/keystore.password` may supply the keystore password; when false, such a file
   * is an error. The node passes false outside dev mode. Default true, for the offline commands
   * that read a node's data directory: outside dev mode the node has refused to start until the
   * file was gone.
   */
  allowPasswordFile?: boolean;
}

const SECRET_FILES = ['master.key', 'member.keystore.json', 'keystore.password'];

export function loadNodeKeys(sources: NodeKeySources): NodeKeys {
  const dir = join(sources.dataDir, 'keys');
  restrictExisting(dir);
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
    const passwordPath = join(dir, 'keystore.password');
    const passwordFileAllowed = sources.allowPasswordFile ?? true;
    if (!passwordFileAllowed && existsSync(passwordPath)) {
      throw new Error(
        `${passwordPath} keeps the keystore password beside the keystore, which is refused outside dev mode: put the password in CARELEDGER_KEYSTORE_PASSWORD, then delete the file`,
      );
    }
    const password = sources.keystorePassword ?? devKeystorePassword(passwordPath, sources, passwordFileAllowed);
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

function devKeystorePassword(path: string, sources: NodeKeySources, fileAllowed: boolean): string {
  if (!fileAllowed) throw new Error('the member keystore needs its password: set CARELEDGER_KEYSTORE_PASSWORD (or CARELEDGER_MEMBER_KEY) in the environment');
  if (!existsSync(path)) {
    requireGenerate(sources, 'keystore password');
    writeSecret(dirname(path), 'keystore.password', randomBytes(24).toString('base64url'));
  }
  return readFileSync(path, 'utf8').trim();
}

function requireGenerate(sources: NodeKeySources, what: string): void {
  if (!sources.allowGenerate) {
    throw new Error(`no ${what} configured and key generation is off (production mode): set it in the environment`);
  }
}

/** Owner-only modes on a keys directory and secrets that already exist. */
function restrictExisting(dir: string): void {
  if (!existsSync(dir)) return;
  chmodSync(dir, 0o700);
  for (const name of SECRET_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

function writeSecret(dir: string, name: string, content: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}
