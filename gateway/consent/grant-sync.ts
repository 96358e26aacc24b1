// Keeps a GrantCache current: one catch-up scan from the registry's deployment block, then a poll
// for new blocks every `intervalMs` (default 500 ms: Besu QBFT seals every 2 s, anvil on each
// transaction), so a revocation mined on any node's behalf is honoured here within one block plus
// the poll interval. Polls never overlap; a failed poll is retried on the next tick.

import type { ConsentPort } from '../ledger/ports.js';
import type { GrantCache } from './grant-cache.js';

export interface GrantSyncOptions {
  intervalMs?: number;
  fromBlock?: number;
  /** Blocks per getLogs request during catch-up (RPC nodes cap the range). */
  chunk?: number;
  onError?: (error: unknown) => void;
}

export class GrantSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly port: ConsentPort,
    private readonly cache: GrantCache,
    private readonly options: GrantSyncOptions = {},
  ) {}

  /** Catches up with the chain, then keeps polling until stop(). */
  async start(): Promise<void> {
    if (this.cache.syncedBlock < 0) this.cache.syncedBlock = (this.options.fromBlock ?? 0) - 1;
    await this.poll();
    this.schedule();
  }

  /** Applies every event up to the chain head now; concurrent callers share one poll. */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.poll()
        .then(() => (this.failing = false))
        .catch((error) => {
          // Once per outage, not every tick.
          if (!this.failing) this.options.onError?.(error);
          this.failing = true;
        })
        .finally(() => this.schedule());
    }, this.options.intervalMs ?? 500);
    this.timer.unref();
  }

  private async pollOnce(): Promise<void> {
    const head = await this.port.latestBlock();
    const chunk = this.options.chunk ?? 5_000;
    while (this.cache.syncedBlock < head) {
      const from = this.cache.syncedBlock + 1;
      const to = Math.min(head, from + chunk - 1);
      this.cache.apply(await this.port.events(from, to));
      this.cache.syncedBlock = to;
    }
  }
}
