// Why a ledger refused a claim-fingerprint registration, as a value: the contract's error name
// (without the ClaimRegistry prefix) and its arguments, the same whichever ledger raised it.

export class ClaimRejectedError extends Error {
  override name = 'ClaimRejectedError';
  constructor(
    /** e.g. 'NotHospital', 'UnknownAnchor', 'AlreadyRegistered'. */
    readonly reason: string,
    readonly args: readonly unknown[],
  ) {
    super(`the claim registry refused: ${reason}(${args.map(String).join(', ')})`);
  }
}
