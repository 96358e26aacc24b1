// The member check against real registries on anvil: history replayed from ConsortiumRegistry's
// events, today's status beside it, and an anchor from a look-alike registry whose "member" has
// the real hospital's org id refused by the real registry's history.
import { Contract, id } from 'ethers';
import { describe, expect, it } from 'vitest';
import { deployConsortium } from '../../network/deploy.js';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { connectEvmLedger } from '../ledger/evm/connect.js';
import { consortiumRegistryInterface } from '../ledger/evm/contracts.js';
import { EvmVerifierReader } from '../ledger/evm/verifier-reader.js';
import type { AnchorRecord, Hex } from '../ledger/ports.js';
import { hospitalMemberCheck } from './member-check.js';

const fixture = useEmbeddedChain();
const ZERO = `0x${'0'.repeat(64)}` as Hex;
const A = id('hospital-a') as Hex;

describe('hospitalMemberCheck on ConsortiumRegistry history', () => {
  it('follows signers and removals through the history, and reports today beside the anchoring block', async () => {
    const { chain, dataDir, provider } = fixture();
    const account = (i: number) => chain.accounts[i]!;
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: account(0).privateKey as Hex,
      dataDir,
      members: [
        { orgId: 'hospital-a', roles: ['HOSPITAL'], signer: account(1).address as Hex },
        { orgId: 'hospital-b', roles: ['HOSPITAL'], signer: account(2).address as Hex },
        { orgId: 'payer-c', roles: ['PAYER'], signer: account(3).address as Hex },
      ],
    });
    const reader = new EvmVerifierReader(provider, 5);
    const fromBlock = (await reader.firstEventBlock(deployed.contracts.ConsortiumRegistry))!;
    const check = hospitalMemberCheck(reader, { consortiumRegistry: deployed.contracts.ConsortiumRegistry, fromBlock });
    const anchorAs = async (index: number, sequence: bigint, prevRoot: Hex, contracts = deployed.contracts): Promise<AnchorRecord> => {
      const ledger = await connectEvmLedger({ kind: 'evm', ...deployed, contracts, privateKey: account(index).privateKey as Hex, pollingIntervalMs: 50 });
      try {
        return await ledger.anchors.submitAnchor({ sequence, root: id(`root ${index} ${sequence} ${contracts.AnchorRegistry}`) as Hex, leafCount: 1, prevRoot });
      } finally {
        await ledger.close();
      }
    };
    // b proposes, c approves: a strict majority of three.
    const vote = async (propose: (registry: Contract) => Promise<unknown>) => {
      const as = async (i: number) => new Contract(deployed.contracts.ConsortiumRegistry, consortiumRegistryInterface, await fixture().signer(i));
      await ((await propose(await as(2))) as { wait(): Promise<unknown> }).wait();
      const proposal = (await (await as(2)).getFunction('proposalCount')()) as bigint;
      await ((await (await as(3)).getFunction('approve')(proposal)) as { wait(): Promise<unknown> }).wait();
    };
    const signer = (i: number) => account(i).address.toLowerCase();

    const first = await anchorAs(1, 1n, ZERO);
    expect(await check(first)).toEqual({
      ok: true,
      detail: `member hospital-a (${A}): active HOSPITAL at block ${first.blockNumber} via signer ${signer(1)}; today: active`,
    });

    await vote((r) => r.getFunction('proposeAddSigner')(A, account(4).address));
    const second = await anchorAs(4, 2n, first.root);
    expect(await check(second)).toMatchObject({ ok: true, detail: expect.stringContaining(`at block ${second.blockNumber} via signer ${signer(4)}; today: active`) });

    await vote((r) => r.getFunction('proposeRemoveSigner')(A, account(1).address));
    expect(await check(first)).toEqual({
      ok: true,
      warning: true,
      detail: `member hospital-a (${A}): active HOSPITAL at block ${first.blockNumber} via signer ${signer(1)}; today: active, signer ${signer(1)} retired since`,
    });

    await vote((r) => r.getFunction('proposeRemoveMember')(A));
    expect(await check(second)).toMatchObject({ ok: true, warning: true, detail: expect.stringMatching(/; today: removed$/) });

    // A look-alike pair of registries where "hospital-a" is the attacker's key (account 5).
    const lookalike = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: account(5).privateKey as Hex,
      dataDir: `${dataDir}/lookalike`,
      members: [{ orgId: 'hospital-a', roles: ['HOSPITAL'], signer: account(5).address as Hex }],
    });
    const forged = await anchorAs(5, 1n, ZERO, lookalike.contracts);
    expect(forged.member).toBe(A);
    const refused = await check(forged);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toMatch(new RegExp(`^Sender ${signer(5)} was not a signer of member hospital-a \\(${A}\\) at block ${forged.blockNumber}; its signers then: ${signer(4)}\\.$`));
  });
});
