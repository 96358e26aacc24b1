import type { CohortPort, Hex } from '../ledger/ports.js';
import { chunkRoots } from './cohort-tree.js';
import { featureSchemaHash } from './feature-schema.js';
import type { PoseidonHash } from './poseidon.js';
import type { CohortRecordSource, CohortSnapshot } from './record-source.js';

/** A snapshot whose root is on chain as the member's `epoch`. */
export interface CommittedSnapshot extends CohortSnapshot {
  epoch: bigint;
  /** Set when this call committed a new epoch. */
  txHash: Hex | null;
}

/**
 * Commits the node's feature records per epoch: a new epoch only when the records changed since
 * the member's latest committed root, so answering many queries over unchanged data reuses one
 * commitment. Calls are serialised: two concurrent commits would race for the same epoch number.
 */
export class EpochCommitter {
  private queue: Promise<unknown> = Promise.resolve();
  private schemaChecked = false;

  constructor(
    private readonly source: CohortRecordSource,
    private readonly cohorts: CohortPort,
    private readonly memberId: Hex,
    private readonly hash: () => Promise<PoseidonHash>,
  ) {}

  current(): Promise<CommittedSnapshot> {
    const run = this.queue.then(() => this.commitIfChanged());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async commitIfChanged(): Promise<CommittedSnapshot> {
    await this.checkSchema();
    const snapshot = await this.source.snapshot(await this.hash());
    const latest = await this.cohorts.latestEpoch(this.memberId);
    if (latest > 0n) {
      const committed = await this.cohorts.getCommitment(this.memberId, latest);
      if (committed?.root === snapshot.tree.root) return { ...snapshot, epoch: latest, txHash: null };
    }
    const commitment = await this.cohorts.commitRecords(latest + 1n, snapshot.tree.root, snapshot.records.length, chunkRoots(snapshot.tree));
    return { ...snapshot, epoch: commitment.epoch, txHash: commitment.txHash };
  }

  /** Records under another schema would answer other questions than the criteria hashes say. */
  private async checkSchema(): Promise<void> {
    if (this.schemaChecked) return;
    const agreed = await this.cohorts.featureSchemaHash();
    const local = `0x${featureSchemaHash()}`;
    if (agreed !== local) {
      throw new Error(`the consortium agreed on feature schema ${agreed}, this node extracts ${local}: upgrade the node (or the registry)`);
    }
    this.schemaChecked = true;
  }
}
