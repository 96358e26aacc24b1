// Why a ledger refused a telehealth session operation, as a value: the contract's error name
// (without the TelehealthRegistry prefix) and its arguments, the same whichever ledger
// implementation raised it.

export class TelehealthRejectedError extends Error {
  override name = 'TelehealthRejectedError';
  constructor(
    /** e.g. 'ConsentRevoked', 'SessionClosed', 'NotHost', 'AlreadyInvited'. */
    readonly reason: string,
    readonly args: readonly unknown[],
  ) {
    super(`the telehealth registry refused: ${reason}(${args.map(String).join(', ')})`);
  }
}
