import { JsonRpcProvider, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { TxSender } from './tx-sender.js';

const fixture = useEmbeddedChain();

/** Two senders on one key, each with its own provider: neither sees the other's nonce, as with a CLI beside the node. */
function twoSendersOn(account: number): TxSender[] {
  const { chain } = fixture();
  return [0, 1].map(() => {
    const provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, { staticNetwork: true });
    return new TxSender(new Wallet(chain.accounts[account]!.privateKey, provider), provider, chain.chainId, { gasPrice: 0n, confirmTimeoutMs: 30_000 });
  });
}

describe('TxSender', () => {
  it('lands every transaction when two senders (two processes, in effect) share one key', async () => {
    const senders = twoSendersOn(3);
    const to = Wallet.createRandom().address;
    // Six different calls (as two licence CLIs issue two credentials): each lands once.
    const receipts = await Promise.all(senders.flatMap((sender, s) => [0, 1, 2].map((n) => sender.send(to, `0x0${s}0${n}`))));
    expect(receipts.every((r) => r.status === 1)).toBe(true);
    expect(new Set(receipts.map((r) => r.hash)).size).toBe(6);
  });

  it('takes "already known" for sent when the other sender sent the very same transaction', async () => {
    const senders = twoSendersOn(4);
    const to = Wallet.createRandom().address;
    // Same key, nonce and call: the same signed bytes, whichever sender the node heard first.
    const receipts = await Promise.all(senders.flatMap((sender) => [0, 1, 2].map(() => sender.send(to, '0x'))));
    expect(receipts.every((r) => r.status === 1)).toBe(true);
  });
});
