import { type JsonRpcProvider, Transaction, type TransactionReceipt, type Wallet, isError } from 'ethers';

export interface TxSenderOptions {
  /** Legacy gas price; 0 on zero-gas networks (Besu --min-gas-price=0, anvil --gas-price 0). */
  gasPrice: bigint;
  confirmTimeoutMs: number;
}

/**
 * Sends one transaction at a time from one key, tracking the nonce itself.
 *
 * ethers' NonceManager bumps its nonce before estimating gas, so one reverted estimate leaves a gap
 * that stalls every later transaction; and anvil can report a stale 'pending' count for a moment
 * after a receipt appears. Here the nonce is read once, advanced only after a broadcast succeeds,
 * and re-read after any broadcast failure. Sending serially also keeps gas estimates honest: an
 * anchor for sequence n+1 only estimates once sequence n is mined.
 */
/** Broadcast attempts when another sender on the same key took the nonce first. */
const NONCE_RETRIES = 6;
/** What anvil, geth and Besu answer for a signed transaction already in their pool. */
const ALREADY_KNOWN = /already (imported|known)|known transaction/i;

export class TxSender {
  private nonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly wallet: Wallet,
    private readonly provider: JsonRpcProvider,
    private readonly chainId: number,
    private readonly options: TxSenderOptions,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /**
   * Pre-flights (a revert surfaces here, with its revert data), estimates, sends, and waits for 1
   * confirmation. `to` null deploys `data` as init code.
   */
  send(to: string | null, data: string): Promise<TransactionReceipt> {
    const run = this.queue.then(() => this.sendNow(to, data));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(to: string | null, data: string): Promise<TransactionReceipt> {
    const from = this.wallet.address;
    // eth_call at 'latest' is the authoritative pre-flight: a revert here carries the custom error.
    await this.provider.call({ from, to, data, blockTag: 'latest' });
    const estimate = await this.estimateGas({ from, to, data, gasPrice: this.options.gasPrice });
    // Headroom for cold storage slots whose cost the estimate may under-read on a busy chain.
    const gasLimit = (estimate * 12n) / 10n;
    const hash = await this.broadcast({ to, data, gasLimit });
    const receipt = await this.mined(hash);
    if (receipt.status === 0) {
      // Reverted in the block although the estimate passed (another transaction got in first):
      // replaying the call now yields revert data the caller can decode.
      await this.provider.call({ from, to, data });
      throw new Error(`transaction ${hash} reverted in block ${receipt.blockNumber}`);
    }
    return receipt;
  }

  /**
   * Polls for the receipt instead of ethers' response.wait(): wait() can miss a transaction that
   * is mined between its first receipt check and its block subscriber's first poll (the
   * subscriber takes the current block as its baseline and only reports later ones), and on an
   * automining dev chain no later block may ever come. Seen with transactions that take anvil a
   * few milliseconds to execute, such as on-chain Groth16 verification.
   */
  private async mined(hash: string): Promise<TransactionReceipt> {
    const deadline = Date.now() + this.options.confirmTimeoutMs;
    for (;;) {
      const receipt = await this.provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
      if (Date.now() > deadline) throw new Error(`transaction ${hash} was not mined within ${this.options.confirmTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.provider.pollingInterval, 250)));
    }
  }

  /**
   * anvil answers eth_estimateGas from a view that lags the latest block by a few milliseconds
   * after a block is mined (measured: a call that just passed at 'latest' can still revert in the
   * estimate). The pre-flight call already passed, so an estimate revert is retried briefly.
   */
  private async estimateGas(tx: { from: string; to: string | null; data: string; gasPrice: bigint }): Promise<bigint> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.provider.estimateGas(tx);
      } catch (error) {
        if (!isError(error, 'CALL_EXCEPTION') || attempt === 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  /**
   * Another process holding the same key (an operator's CLI beside the node, two CLI runs at once)
   * can take the nonce this sender read: the node answers 'nonce too low', or 'replacement
   * underpriced' while the other transaction is still pending. The nonce is re-read and the
   * broadcast retried a few times, with a short growing pause so a stale 'pending' count can catch up.
   * The other sender may even have sent this very transaction (same key, nonce and call: the same
   * signed bytes); the node then says it already has it, which is as good as sending it.
   */
  private async broadcast(tx: { to: string | null; data: string; gasLimit: bigint }): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      this.nonce ??= await this.provider.getTransactionCount(this.wallet.address, 'pending');
      const signed = await this.wallet.signTransaction({
        ...tx,
        type: 0,
        chainId: this.chainId,
        nonce: this.nonce,
        gasPrice: this.options.gasPrice,
      });
      try {
        const response = await this.provider.broadcastTransaction(signed);
        this.nonce += 1;
        return response.hash;
      } catch (error) {
        if (ALREADY_KNOWN.test(String((error as Error).message))) {
          this.nonce += 1;
          return Transaction.from(signed).hash!;
        }
        this.nonce = undefined;
        const taken = isError(error, 'NONCE_EXPIRED') || isError(error, 'REPLACEMENT_UNDERPRICED');
        if (!taken || attempt === NONCE_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * attempt + Math.floor(Math.random() * 25)));
      }
    }
  }
}
