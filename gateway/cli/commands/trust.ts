// careledger trust export --out FILE | trust show FILE: the consortium trust file. A member node
// writes down the chain and registries it is configured for; a payer receives the file, checks its
// fingerprint against one obtained through another channel, and passes it to `verify --trust`.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openLedgerClient } from '../../ledger/factory.js';
import { TrustFileError, parseTrustFile, serializeTrustFile, trustFingerprint, type TrustFile } from '../../receipts/trust-file.js';
import { TrustMismatchError, exportTrust } from '../../receipts/trust-root.js';
import { localChain, noLocalChainReason } from '../local-chain.js';

const HELP = `usage: careledger trust export --out FILE [--name LABEL] [--rpc URL]
       careledger trust show FILE

export  run where a member node's DATA_DIR is (or with CHAIN_RPC_URL + CHAIN_CONTRACTS set as
        the node has them). Reads the chain id and genesis hash from the chain, checks the
        registries are deployed and linked, writes the trust file and prints its fingerprint.
        Give payers the file; publish the fingerprint through a second channel.
show    checks a trust file and prints its fingerprint, to compare with the published one.`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'export') return await exportCommand(rest);
    if (sub === 'show') return show(rest);
    if (sub === '--help' || sub === '-h') {
      console.log(HELP);
      return 0;
    }
    console.error(`careledger trust: expected "export" or "show"\n${HELP}`);
    return 2;
  } catch (error) {
    if (!(error instanceof TrustFileError || error instanceof TrustMismatchError)) throw error;
    console.error(`careledger trust: ${error.message}`);
    return 2;
  }
}

async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, name: { type: 'string' }, rpc: { type: 'string' } } });
  if (!values.out) {
    console.error(`careledger trust export: --out FILE is required\n${HELP}`);
    return 2;
  }
  const local = localChain();
  if (!local) {
    console.error(`careledger trust export: ${noLocalChainReason()}; run it where a member node's DATA_DIR is`);
    return 2;
  }
  const ledger = await openLedgerClient({ ...local, rpcUrl: values.rpc ?? local.rpcUrl });
  let trust: TrustFile;
  try {
    trust = await exportTrust(local, ledger.verifier, values.name);
  } finally {
    await ledger.close();
  }
  writeFileSync(`${values.out}.tmp`, serializeTrustFile(trust));
  renameSync(`${values.out}.tmp`, values.out);
  console.log(`wrote ${values.out}`);
  console.log(describe(trust));
  return 0;
}

function show(argv: string[]): number {
  const [path] = argv;
  if (!path) {
    console.error(`careledger trust show: FILE is required\n${HELP}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    console.error(`careledger trust show: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  console.log(describe(parseTrustFile(text)));
  return 0;
}

function describe(trust: TrustFile): string {
  const contracts = Object.entries(trust.contracts).map(([name, address]) => `  ${name} ${address}`);
  return [
    `fingerprint: sha256:${trustFingerprint(trust)}`,
    ...(trust.consortium !== undefined ? [`consortium: ${trust.consortium}`] : []),
    `chain ${trust.chainId}, genesis ${trust.genesisHash}, membership history from block ${trust.membershipFromBlock}`,
    ...contracts,
  ].join('\n');
}
