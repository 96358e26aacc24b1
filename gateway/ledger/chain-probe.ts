// Asks the chain for its block number every few seconds with a short deadline, so /health and
// careledger_chain_up notice a chain that is hung (a stopped process still accepts connections
// and never answers) without any request waiting on the chain itself.

export interface ChainProbeStatus {
  /** The chain answered the last probe within the deadline. */
  reachable: boolean;
  detail?: string;
  lastAnswerAt?: string;
  blockNumber?: number;
}

export interface ChainProbeOptions {
  intervalMs?: number;
  timeoutMs?: number;
}

const DEFAULT_PROBE_INTERVAL_MS = 2_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

export class ChainProbe {
  private status: ChainProbeStatus = { reachable: true };
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly blockNumber: () => Promise<number>,
    options: ChainProbeOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  }

  start(): void {
    if (this.timer) return;
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  current(): ChainProbeStatus {
    return this.status;
  }

  /** Another call just got its answer (an anchor was mined): the chain is back before the next probe says so. */
  answered(): void {
    this.status = { ...this.status, reachable: true, detail: undefined, lastAnswerAt: new Date().toISOString() };
  }

  private async probe(): Promise<void> {
    // Probes never overlap: with a deadline longer than the interval a slow one is still running.
    if (this.inFlight) return;
    this.inFlight = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the chain did not answer eth_blockNumber within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      const blockNumber = await Promise.race([this.blockNumber(), deadline]);
      this.status = { reachable: true, blockNumber, lastAnswerAt: new Date().toISOString() };
    } catch (error) {
      this.status = { reachable: false, detail: (error as Error).message, lastAnswerAt: this.status.lastAnswerAt };
    } finally {
      clearTimeout(timer);
      this.inFlight = false;
    }
  }
}
