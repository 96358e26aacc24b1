// careledger claims-key init|import|show: the consortium's claims key (gateway/claims/claims-key.ts).
// One member runs `init` once, hands the file to the other members and to the payers out of band
// (the way the trust file travels, but confidential), and everyone compares the key id.

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ClaimsKeyError, claimsKeyId, claimsKeyPath, generateClaimsKey, readClaimsKey, writeClaimsKey } from '../../claims/claims-key.js';

const HELP = `usage: careledger claims-key init [--out FILE]
       careledger claims-key import FILE
       careledger claims-key show [FILE]

init    generates the consortium's claims key (32 random bytes) into FILE, by default this node's
        ($CLAIMS_KEY_FILE, else $DATA_DIR/keys/claims.key); run it once for the whole consortium.
import  installs a key file received from the consortium as this node's claims key.
show    prints the key id of FILE (default: this node's key), to compare out of band; the id
        reveals nothing of the key.
The key never goes on chain. Give it only to members and payers: with it, a guessed claim line can
be tested against the registered fingerprints (docs/claims.md).`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const nodeKey = () => claimsKeyPath(resolve(process.env.DATA_DIR ?? './data'));
  try {
    if (sub === 'init') {
      const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } } });
      const path = values.out ?? nodeKey();
      const key = generateClaimsKey();
      writeClaimsKey(path, key);
      console.log(`wrote ${path}\nkey id: ${claimsKeyId(key)}`);
      return 0;
    }
    if (sub === 'import') {
      if (!rest[0]) throw new ClaimsKeyError('FILE is required');
      const key = readClaimsKey(rest[0]);
      const path = nodeKey();
      writeClaimsKey(path, key);
      console.log(`wrote ${path}\nkey id: ${claimsKeyId(key)}`);
      return 0;
    }
    if (sub === 'show') {
      console.log(`key id: ${claimsKeyId(readClaimsKey(rest[0] ?? nodeKey()))}`);
      return 0;
    }
    if (sub === '--help' || sub === '-h') {
      console.log(HELP);
      return 0;
    }
    console.error(`careledger claims-key: expected "init", "import" or "show"\n${HELP}`);
    return 2;
  } catch (error) {
    if (!(error instanceof ClaimsKeyError)) throw error;
    console.error(`careledger claims-key: ${error.message}`);
    return 2;
  }
}
