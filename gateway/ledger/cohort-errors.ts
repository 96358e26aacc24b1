// Why a ledger refused a cohort operation, as a value: the contract's error name (without the
// CohortRegistry prefix) and its arguments, the same whichever ledger implementation raised it.

export class CohortRejectedError extends Error {
  override name = 'CohortRejectedError';
  constructor(
    /** e.g. 'ChunkRootsMismatch', 'CriteriaMismatch', 'NullifierUsed'. */
    readonly reason: string,
    readonly args: readonly unknown[],
  ) {
    super(`the cohort registry refused: ${reason}(${args.map(String).join(', ')})`);
  }
}
