// Why a ledger refused an anchor, as values the anchorer can act on. Every ledger implementation
// (EVM, Fabric) throws these, so reconciliation logic never parses chain-specific messages.
import type { Hex } from './ports.js';

export abstract class AnchorRejectedError extends Error {
  abstract readonly code: string;
}

/** The sequence is not the member's next one: reconcile from `latestSequence` before resubmitting. */
export class AnchorGapError extends AnchorRejectedError {
  readonly code = 'ANCHOR_GAP';
  constructor(
    readonly member: Hex,
    readonly expected: bigint,
    readonly got: bigint,
  ) {
    super(`member ${member} must anchor sequence ${expected} next, not ${got}; reconcile with the ledger`);
  }
}

/** The sequence is already anchored. If `existingRoot` is the root just submitted, an earlier try landed. */
export class AnchorDuplicateError extends AnchorRejectedError {
  readonly code = 'ANCHOR_DUPLICATE';
  constructor(
    readonly member: Hex,
    readonly sequence: bigint,
    readonly existingRoot: Hex,
  ) {
    super(`member ${member} already anchored sequence ${sequence} (root ${existingRoot})`);
  }
}

/** prevRoot does not link to the member's latest anchored root. */
export class AnchorPrevRootMismatchError extends AnchorRejectedError {
  readonly code = 'ANCHOR_PREV_ROOT_MISMATCH';
  constructor(
    readonly member: Hex,
    readonly expected: Hex,
    readonly got: Hex,
  ) {
    super(`member ${member}'s previous root is ${expected}, the submission named ${got}`);
  }
}

/** Some member (possibly this one) already anchored this root; roots are unique ledger-wide. */
export class AnchorRootExistsError extends AnchorRejectedError {
  readonly code = 'ANCHOR_ROOT_EXISTS';
  constructor(
    readonly root: Hex,
    readonly member: Hex,
    readonly sequence: bigint,
  ) {
    super(`root ${root} is already anchored by ${member} at sequence ${sequence}`);
  }
}

/** The submitting key is not a signer of an active member with the HOSPITAL role. */
export class AnchorNotAuthorizedError extends AnchorRejectedError {
  readonly code = 'ANCHOR_NOT_AUTHORIZED';
  constructor(readonly account: Hex) {
    super(`${account} may not anchor: it is not a signer of an active HOSPITAL member of the consortium`);
  }
}

/** The submission itself is malformed (zero root or no leaves). */
export class AnchorInvalidError extends AnchorRejectedError {
  readonly code = 'ANCHOR_INVALID';
  constructor(readonly reason: 'zero-root' | 'empty-batch') {
    super(reason === 'zero-root' ? 'an anchored root must not be zero' : 'an anchored batch must have at least one leaf');
  }
}
