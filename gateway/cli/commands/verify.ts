// careledger verify --resource FILE --receipt FILE [--trust FILE] [--rpc URL]: what a payer runs.
// Everything is checked offline except the chain reads (the anchor at member+sequence in the
// pinned AnchorRegistry, the member's history in the pinned ConsortiumRegistry). The registries
// come from the trust file, or from the local member node; never from the receipt, whose
// `anchor.contract` is only a claim a look-alike registry could make.

import { parseArgs } from 'node:util';
import { openLedgerClient } from '../../ledger/factory.js';
import type { FhirResource } from '../../store/service.js';
import { parseReceipt, type Receipt } from '../../receipts/format.js';
import { provenanceMismatch, receiptJsonFromProvenance } from '../../receipts/provenance.js';
import { TrustFileError, parseTrustFile, trustFingerprint, type TrustFile } from '../../receipts/trust-file.js';
import { TrustMismatchError, checkPinnedChain, exportTrust, pinnedVerifier } from '../../receipts/trust-root.js';
import type { VerifyResult } from '../../receipts/verify.js';
import type { ChainTarget } from '../chain-target.js';
import { localChain, noLocalChainReason } from '../local-chain.js';
import { CannotVerify, chainUnreadable, errorMessage, readInputJson, readInputText } from '../verification-input.js';

const HELP = `usage: careledger verify --resource FILE --receipt FILE [--trust FILE] [--rpc URL] [--json]

FILE for --receipt is the receipt JSON ($receipt) or the Provenance that carries it.
--trust FILE is the consortium trust file (careledger trust export; compare its fingerprint, from
  careledger trust show, with the one the consortium gave you out of band). Without it, the chain
  and registries of the member node in $DATA_DIR (or CHAIN_RPC_URL + CHAIN_CONTRACTS) are pinned;
  with neither, verify refuses to call anything valid.
--rpc defaults to $CHAIN_RPC_URL, then to the rpcUrl of the node in $DATA_DIR.
Exit 0: valid. Exit 1: invalid, with the failing check. Exit 2: could not verify (usage, no trust
file, a chain other than the pinned one, chain unreachable).`;


export async function run(argv: string[]): Promise<number> {
  try {
    return await verify(argv);
  } catch (error) {
    if (!(error instanceof CannotVerify || error instanceof TrustFileError || error instanceof TrustMismatchError)) throw error;
    console.error(`careledger verify: could not verify: ${error.message}`);
    return 2;
  }
}

async function verify(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      resource: { type: 'string' },
      receipt: { type: 'string' },
      trust: { type: 'string' },
      rpc: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.resource || !values.receipt) throw new CannotVerify(`--resource and --receipt are required\n${HELP}`);
  const resource = readInputJson(values.resource, 'resource');
  let receipt = readInputJson(values.receipt, 'receipt');
  if ((receipt as { resourceType?: string } | null)?.resourceType === 'Provenance') {
    const provenance = receipt as FhirResource;
    const carried = receiptJsonFromProvenance(provenance);
    if (!carried) {
      console.log('invalid: format: the Provenance carries no careledger receipt');
      return 1;
    }
    receipt = carried;
    // A malformed receipt is reported by verification (`format`); a well-formed one must agree
    // with what the Provenance around it claims.
    const mismatch = wellFormed(carried, (parsed) => provenanceMismatch(provenance, parsed));
    if (mismatch) {
      console.log(`invalid: format: ${mismatch}`);
      return 1;
    }
  }

  const pinnedFile = values.trust ? parseTrustFile(readInputText(values.trust, 'trust file')) : null;
  const local = localChain();
  if (!pinnedFile && !local) {
    throw new CannotVerify(
      `no trust root, so nothing can be called valid: pass --trust FILE (the consortium trust file; see docs/receipts.md section 4.1), or run where a member node's DATA_DIR is (${noLocalChainReason()})`,
    );
  }
  const rpcUrl = values.rpc || process.env.CHAIN_RPC_URL || local?.rpcUrl;
  if (!rpcUrl) throw new CannotVerify('no chain to read: pass --rpc URL (a node of the consortium chain)');

  let trust: TrustFile;
  try {
    trust = pinnedFile ?? (await localTrust(local!));
  } catch (error) {
    throw chainUnreadable(error, rpcUrl);
  }
  // Everything below reads the pinned chain and registries only: none of the receipt's own claims.
  const ledger = await openLedgerClient({ kind: trust.ledger, rpcUrl, chainId: trust.chainId, contracts: trust.contracts });
  try {
    const reader = ledger.verifier;
    try {
      await checkPinnedChain(trust, reader);
    } catch (error) {
      throw chainUnreadable(error, rpcUrl);
    }
    const anchors = ledger.anchorsAt(trust.contracts.AnchorRegistry);
    let result: VerifyResult;
    try {
      result = await pinnedVerifier(trust, (member, sequence) => anchors.getAnchor(member, sequence), reader)(resource, receipt);
    } catch (error) {
      throw new CannotVerify(`cannot read chain ${rpcUrl}: ${errorMessage(error)}`);
    }
    const source = pinnedFile ? `trust file ${values.trust}` : `the member node's configuration (${process.env.DATA_DIR ?? './data'})`;
    const fingerprint = trustFingerprint(trust);
    if (values.json) {
      console.log(JSON.stringify({ ...result, trust: { source, fingerprint: `sha256:${fingerprint}` } }, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2));
    } else {
      console.log(report(result, trust, source, fingerprint));
    }
    return result.valid ? 0 : 1;
  } finally {
    await ledger.close();
  }
}

/** What the member node pins, genesis hash included, read through the node's own RPC: a --rpc
 * naming another chain (even with the same id and addresses) then fails checkPinnedChain. */
async function localTrust(local: ChainTarget): Promise<TrustFile> {
  const ledger = await openLedgerClient(local);
  try {
    return await exportTrust(local, ledger.verifier);
  } finally {
    await ledger.close();
  }
}

function report(result: VerifyResult, trust: TrustFile, source: string, fingerprint: string): string {
  const lines = [result.valid ? 'valid' : `invalid: ${result.failedCheck}: ${result.reason}`];
  const member = result.checks.find((c) => c.name === 'member' && c.passed);
  if (member?.detail) lines.push(`${member.warning ? 'warning: ' : ''}member: ${member.detail}`);
  lines.push(`trust: chain ${trust.chainId}, AnchorRegistry ${trust.contracts.AnchorRegistry}, from ${source} (sha256:${fingerprint})`);
  return lines.join('\n');
}

function wellFormed(receipt: string, check: (parsed: Receipt) => string | null): string | null {
  let parsed: Receipt;
  try {
    parsed = parseReceipt(receipt);
  } catch {
    return null;
  }
  return check(parsed);
}
