// Why a ledger refused a consent operation, as a value: the contract's error name (without the
// ConsentRegistry prefix) and its arguments, the same whichever ledger implementation raised it.

export class ConsentRejectedError extends Error {
  override name = 'ConsentRejectedError';
  constructor(
    /** e.g. 'InvalidSignature', 'InvalidNonce', 'AlreadyRevoked'. */
    readonly reason: string,
    readonly args: readonly unknown[],
  ) {
    super(`the consent registry refused: ${reason}(${args.map(String).join(', ')})`);
  }
}
