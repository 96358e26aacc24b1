// careledger verify --resource FILE --receipt FILE [--rpc URL]: what a payer runs. Everything is
// checked offline except one chain lookup (the anchor at member+sequence, and the member's
// registration); no trust in the hospital's server is needed.

import { Contract } from 'ethers';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EvmAnchorPort } from '../../ledger/evm/anchor-port.js';
import { anchorRegistryInterface } from '../../ledger/evm/contracts.js';
import { EvmMemberPort } from '../../ledger/evm/member-port.js';
import { createEvmProvider } from '../../ledger/evm/provider.js';
import type { Hex } from '../../ledger/ports.js';
import { hospitalMemberCheck } from '../../receipts/member-check.js';
import { receiptJsonFromProvenance } from '../../receipts/provenance.js';
import { verifyReceipt } from '../../receipts/verify.js';
import { readDevFile } from '../dev-target.js';

const HELP = `usage: careledger verify --resource FILE --receipt FILE [--rpc URL]

FILE for --receipt is the receipt JSON ($receipt) or the Provenance that carries it.
--rpc defaults to $CHAIN_RPC_URL, then to the rpcUrl of $DATA_DIR/dev.json.
Exit 0: valid. Exit 1: invalid, with the failing check. Exit 2: could not verify (usage, chain unreachable).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      resource: { type: 'string' },
      receipt: { type: 'string' },
      rpc: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.resource || !values.receipt) {
    console.error(`careledger verify: --resource and --receipt are required\n${HELP}`);
    return 2;
  }
  const resource = readJson(values.resource, 'resource');
  let receipt = readJson(values.receipt, 'receipt');
  if ((receipt as { resourceType?: string } | null)?.resourceType === 'Provenance') {
    const carried = receiptJsonFromProvenance(receipt as never);
    if (!carried) {
      console.log('invalid: format: the Provenance carries no careledger receipt');
      return 1;
    }
    receipt = carried;
  }
  const anchor = (typeof receipt === 'string' ? JSON.parse(receipt) : receipt) as { anchor?: { contract?: string; chainId?: number } };
  const contract = anchor?.anchor?.contract;
  const chainId = anchor?.anchor?.chainId;
  if (typeof contract !== 'string' || typeof chainId !== 'number') {
    const result = await verifyReceipt(resource, receipt, async () => null);
    console.log(result.valid ? 'valid' : `invalid: ${result.failedCheck}: ${result.reason}`);
    return result.valid ? 0 : 1;
  }

  const rpcUrl = values.rpc ?? process.env.CHAIN_RPC_URL ?? readDevFile().rpcUrl;
  const provider = createEvmProvider({ rpcUrl, chainId });
  try {
    const served = Number(await provider.send('eth_chainId', []));
    if (served !== chainId) {
      console.log(`invalid: anchor-exists: ${rpcUrl} serves chain ${served}, the receipt names chain ${chainId}`);
      return 1;
    }
    const address = contract.toLowerCase() as Hex;
    if ((await provider.getCode(address)) === '0x') {
      console.log(`invalid: anchor-exists: no AnchorRegistry at ${address} on chain ${chainId}`);
      return 1;
    }
    const anchors = EvmAnchorPort.reader(address, chainId, provider);
    const consortium = (await new Contract(address, anchorRegistryInterface, provider).getFunction('consortium')()) as string;
    const result = await verifyReceipt(resource, receipt, (member, sequence) => anchors.getAnchor(member, sequence), {
      memberCheck: hospitalMemberCheck(new EvmMemberPort(consortium as Hex, provider)),
    });
    if (values.json) console.log(JSON.stringify(result, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2));
    else console.log(result.valid ? 'valid' : `invalid: ${result.failedCheck}: ${result.reason}`);
    return result.valid ? 0 : 1;
  } catch (error) {
    console.error(`careledger verify: could not verify: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    provider.destroy();
  }
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the ${what} from ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
