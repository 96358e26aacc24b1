// careledger verify-eligibility --proof FILE [--accept]: checks a patient's eligibility proof
// against the chain (Groth16 with snarkjs and the committed key, trial registered with the same
// criteria hash, root committed by a hospital, nullifier unspent). With --accept it then has the
// CohortRegistry verify it again and spend the nullifier, signed with the member key of $DATA_DIR:
// a patient is accepted once per trial.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkEligibility, type EligibilityProofDocument } from '../../cohort/eligibility-check.js';
import { toProofCalldata } from '../../cohort/proof-calldata.js';
import { loadZkToolkit, releaseZkThreads } from '../../cohort/zk-toolkit.js';
import { loadNodeKeys } from '../../keys/node-keys.js';
import { CohortRejectedError } from '../../ledger/cohort-errors.js';
import { openLedgerClient } from '../../ledger/factory.js';
import { chainTarget, cohortsOf } from '../chain-target.js';

const HELP = `usage: careledger verify-eligibility --proof FILE [--accept] [--consortium FILE]

FILE is what prove-eligibility wrote. Without --accept nothing is written to the chain.
Exit 0: valid (and accepted). Exit 1: invalid, already used, or refused. Exit 2: usage.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      proof: { type: 'string' },
      accept: { type: 'boolean', default: false },
      consortium: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.proof) {
    console.error(`careledger verify-eligibility: --proof FILE is required\n${HELP}`);
    return 2;
  }
  const document = JSON.parse(readFileSync(values.proof, 'utf8')) as EligibilityProofDocument;
  const target = chainTarget({ consortium: values.consortium });
  // Only --accept signs: checking a proof needs no key.
  const privateKey = values.accept
    ? loadNodeKeys({
        dataDir: resolve(process.env.DATA_DIR ?? './data'),
        memberPrivateKey: process.env.CARELEDGER_MEMBER_KEY,
        keystorePassword: process.env.CARELEDGER_KEYSTORE_PASSWORD,
        masterKeyHex: process.env.CARELEDGER_MASTER_KEY,
        allowGenerate: false,
      }).memberWallet.privateKey
    : undefined;
  const ledger = await openLedgerClient(target, { pollingIntervalMs: 250, ...(privateKey ? { privateKey } : {}) });
  try {
    const cohorts = cohortsOf(ledger);
    const check = await checkEligibility(cohorts, await loadZkToolkit(), document);
    if (!check.ok) {
      console.log(`invalid: ${check.reason}`);
      return 1;
    }
    if (!values.accept) {
      console.log(`valid: trial scope ${check.scopeId}, nullifier ${check.nullifier} unspent, root ${check.root} committed`);
      return 0;
    }
    const accepted = await cohorts.acceptEligibility(toProofCalldata({ proof: document.proof, publicSignals: document.publicSignals }));
    console.log(`accepted: trial scope ${accepted.scopeId}, nullifier ${accepted.nullifier} spent, tx ${accepted.txHash}`);
    return 0;
  } catch (error) {
    if (error instanceof CohortRejectedError) {
      console.log(`refused: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await ledger.close();
    await releaseZkThreads();
  }
}
