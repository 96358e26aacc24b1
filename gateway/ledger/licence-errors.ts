// Why a ledger refused a licence operation, as a value: the contract's error name (without the
// LicenceRegistry prefix) and its arguments, the same whichever ledger implementation raised it.

export class LicenceRejectedError extends Error {
  override name = 'LicenceRejectedError';
  constructor(
    /** e.g. 'NotLicensingMember', 'AlreadyIssued', 'NotIssuer', 'AlreadyRevoked'. */
    readonly reason: string,
    readonly args: readonly unknown[],
  ) {
    super(`the licence registry refused: ${reason}(${args.map(String).join(', ')})`);
  }
}
