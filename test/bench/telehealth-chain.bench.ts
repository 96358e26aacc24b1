// Telehealth figures for `npm run bench`, on the chain: gas and transactions per completed consult.
//   registry   what the node puts on chain for one consult through TelehealthRegistry: the
//              opening (consent checked by the contract), two invitations (specialist and
//              observer), one escalation and the close with the event log root. Every other state
//              change (check-in, waiting room, admission, joins, wrap-up) stays at the host as an
//              anchored AuditEvent, which rides in a Merkle batch with everything else the node
//              anchors (its share of one anchor transaction is what the pipeline figures show).
//   baseline   the same consult with the chain as the state machine: the same five registry
//              calls plus every other state change and every join as its own transaction, to the
//              cheapest contract that can hold them (compiled here from the source below: one
//              storage write and one event per change, no checks). Its best case, on purpose.
// Also reported: the gas of each registry function and of LicenceRegistry's issue and revoke,
// and how long a participant would wait per state change in the baseline on this chain
// (anvil mines at once; a QBFT chain adds its block period, 1-5 s, to each).

import { Interface, Wallet } from 'ethers';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVM_VERSION } from '../../chaincode/evm/compile.js';
import { CONSENT_TYPES, type ConsentMessage, contractTerms, typedDomain } from '../../gateway/consent/typed-data.js';
import { memberIdOf } from '../../gateway/crypto/digest.js';
import { connectLedger } from '../../gateway/ledger/factory.js';
import { createEvmProvider } from '../../gateway/ledger/evm/provider.js';
import { TxSender } from '../../gateway/ledger/evm/tx-sender.js';
import { type Hex, type Ledger, type LedgerTx, TelehealthFinalState, TelehealthInviteRole } from '../../gateway/ledger/ports.js';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain } from '../../network/embedded-chain.js';

const require = createRequire(import.meta.url);
const solc = require('solc') as { compile(input: string): string };

/** The baseline's contract: one storage write and one event per state change, nothing checked. */
const STATE_LOG_SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;
contract ConsultStateLog {
    mapping(bytes32 => uint8) public stateOf;
    mapping(bytes32 => mapping(bytes32 => bool)) public joined;
    event StateChanged(bytes32 indexed session, uint8 state);
    event Joined(bytes32 indexed session, bytes32 participant);
    function transition(bytes32 session, uint8 state) external {
        stateOf[session] = state;
        emit StateChanged(session, state);
    }
    function join(bytes32 session, bytes32 participant) external {
        joined[session][participant] = true;
        emit Joined(session, participant);
    }
}`;

/** The consult's changes that stay off chain in the registry design, in the order they happen. */
const LOCAL_STATES = ['booked', 'checked-in', 'arrived', 'in-progress', 'discharged', 'completed'];
const JOINS = ['patient', 'provider', 'specialist', 'observer'];

export interface TelehealthChainBenchResult {
  consults: number;
  registryTxPerConsult: number;
  registryGasPerConsult: number;
  baselineTxPerConsult: number;
  baselineGasPerConsult: number;
  /** Gas used by each call, averaged over the consults. */
  gasByFunction: Record<string, number>;
  /** Baseline: p50 / p95 of one state change's transaction, send to receipt, on this chain (ms). */
  baselineChangeP50Ms: number;
  baselineChangeP95Ms: number;
}

export async function benchTelehealthChain(options: { consults?: number } = {}): Promise<TelehealthChainBenchResult> {
  const consults = options.consults ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'careledger-bench-telehealth-chain-'));
  const chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
  const provider = createEvmProvider({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, pollingIntervalMs: 20 });
  const ledgers: Ledger[] = [];
  try {
    const orgs = ['bench-host', 'bench-home', 'bench-specialists', 'bench-board'];
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: orgs[0]!, roles: ['HOSPITAL'], signer: chain.accounts[1]!.address },
        { orgId: orgs[1]!, roles: ['HOSPITAL'], signer: chain.accounts[2]!.address },
        { orgId: orgs[2]!, roles: ['HOSPITAL'], signer: chain.accounts[3]!.address },
        { orgId: orgs[3]!, roles: ['LICENSING'], signer: chain.accounts[4]!.address },
      ],
      dataDir: join(dir, 'chain'),
    });
    const connect = async (account: number) => {
      const ledger = await connectLedger({ kind: 'evm', ...deployed, privateKey: chain.accounts[account]!.privateKey, pollingIntervalMs: 20 });
      ledgers.push(ledger);
      return ledger;
    };
    const [host, home, board] = [await connect(1), await connect(2), await connect(4)];
    const hostMember = memberIdOf(orgs[0]!);
    const homeMember = memberIdOf(orgs[1]!);
    const specialists = memberIdOf(orgs[2]!);
    const gasOf = async (tx: LedgerTx) => Number((await provider.getTransactionReceipt(tx.txHash))!.gasUsed);

    // The baseline's extra transactions come from an account of their own: a second sender on the
    // host's key would race the host ledger's nonces ("nonce too low").
    // One sender tracks the account's nonces for the deployment and every baseline transaction.
    const baselineSender = new TxSender(new Wallet(chain.accounts[5]!.privateKey, provider), provider, chain.chainId, { gasPrice: 0n, confirmTimeoutMs: 60_000 });
    const stateLog = await deployStateLog(baselineSender);

    const gas: Record<string, number[]> = {};
    const record = (name: string, value: number) => (gas[name] ??= []).push(value);
    let registryGas = 0;
    let baselineGas = 0;
    const changeTimes: number[] = [];

    for (let i = 0; i < consults; i++) {
      const grantId = await treatmentGrant(home, hostMember);
      const patient = (await home.consents!.getGrant(grantId))!.patient;
      const session = randomHash();
      const calls: Array<[string, () => Promise<LedgerTx>]> = [
        ['openSession', () => host.telehealth!.openSession({ sessionIdHash: session, homeMember, patient, consentGrantId: grantId })],
        ['invite', () => host.telehealth!.invite(session, specialists, randomHash(), TelehealthInviteRole.SPECIALIST)],
        ['invite', () => host.telehealth!.invite(session, specialists, randomHash(), TelehealthInviteRole.OBSERVER)],
        ['escalate', () => host.telehealth!.escalate(session, 3, randomHash())],
        ['closeSession', () => host.telehealth!.closeSession(session, TelehealthFinalState.COMPLETED, randomHash())],
      ];
      let consultGas = 0;
      for (const [name, call] of calls) {
        const used = await gasOf(await call());
        record(name, used);
        consultGas += used;
      }
      registryGas += consultGas;

      // The baseline: the same registry calls, and every other change as its own transaction.
      let extra = 0;
      const changes = [
        ...LOCAL_STATES.map((_, state) => stateLog.encodeFunctionData('transition', [session, state + 1])),
        ...JOINS.map(() => stateLog.encodeFunctionData('join', [session, randomHash()])),
      ];
      for (const data of changes) {
        const started = performance.now();
        const receipt = await baselineSender.send(stateLog.address, data);
        changeTimes.push(performance.now() - started);
        extra += Number(receipt.gasUsed);
      }
      baselineGas += consultGas + extra;

      // A withdrawn invitation is not part of the consult above; measured on its own.
      const practitioner = randomHash();
      const other = randomHash();
      await host.telehealth!.openSession({ sessionIdHash: other, homeMember, patient, consentGrantId: grantId });
      await host.telehealth!.invite(other, specialists, practitioner, TelehealthInviteRole.SECOND_OPINION);
      record('withdrawInvitation', await gasOf(await host.telehealth!.withdrawInvitation(other, specialists, practitioner)));

      const credentialHash = randomHash();
      const now = Math.floor(Date.now() / 1000);
      record('LicenceRegistry.issue', await gasOf(await board.licences!.issue(credentialHash, Wallet.createRandom().address.toLowerCase() as Hex, now - 60, now + 365 * 86_400)));
      record('LicenceRegistry.revoke', await gasOf(await board.licences!.revoke(credentialHash)));
    }

    const registryTx = 5;
    const baselineTx = registryTx + LOCAL_STATES.length + JOINS.length;
    return {
      consults,
      registryTxPerConsult: registryTx,
      registryGasPerConsult: Math.round(registryGas / consults),
      baselineTxPerConsult: baselineTx,
      baselineGasPerConsult: Math.round(baselineGas / consults),
      gasByFunction: Object.fromEntries(Object.entries(gas).map(([name, values]) => [name, Math.round(values.reduce((a, b) => a + b, 0) / values.length)])),
      baselineChangeP50Ms: round(percentile(changeTimes, 50)),
      baselineChangeP95Ms: round(percentile(changeTimes, 95)),
    };
  } finally {
    for (const ledger of ledgers) await ledger.close();
    provider.destroy();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh patient's TREAT grant to `host`, recorded by the patient's home hospital. */
async function treatmentGrant(home: Ledger, host: Hex): Promise<Hex> {
  const consents = home.consents!;
  const patient = new Wallet(Wallet.createRandom().privateKey);
  const address = patient.address.toLowerCase() as Hex;
  const now = Math.floor(Date.now() / 1000);
  const message: ConsentMessage = {
    patient: address,
    granteeMember: host,
    granteePractitioner: `0x${'0'.repeat(64)}`,
    actions: ['access'],
    categories: ['Encounter'],
    purposes: 1,
    notBefore: now - 60,
    notAfter: now + 3600,
    nonce: await consents.nonceOf(address),
  };
  const domain = typedDomain({ chainId: consents.chainId, verifyingContract: consents.contract });
  const { grant } = await consents.grant(contractTerms(message), (await patient.signTypedData(domain, CONSENT_TYPES, message)) as Hex);
  return grant.grantId;
}

async function deployStateLog(sender: TxSender) {
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'ConsultStateLog.sol': { content: STATE_LOG_SOURCE } },
        settings: { evmVersion: EVM_VERSION, optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
      }),
    ),
  ) as { errors?: { severity: string; formattedMessage: string }[]; contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`the baseline contract does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const compiled = output.contracts['ConsultStateLog.sol']!.ConsultStateLog!;
  const receipt = await sender.send(null, `0x${compiled.evm.bytecode.object}`);
  const iface = new Interface(compiled.abi as never);
  return { address: receipt.contractAddress!, encodeFunctionData: (name: string, args: unknown[]) => iface.encodeFunctionData(name, args) };
}

const randomHash = () => `0x${randomBytes(32).toString('hex')}` as Hex;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
