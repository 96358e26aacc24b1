// Receipt verification as a payer runs it: from the resource, the receipt and read access to
// the chain, and nothing the anchoring hospital serves. The chain lookups are injected; they
// are the only I/O. Checks run in a fixed order and stop at the first failure, so the failed
// check code says precisely which link of the chain of evidence broke.
import { OperationOutcomeError } from '@medplum/core';
import { CANONICALIZATION_ID, canonicalizeResource } from '../crypto/canonical.js';
import { leafHash, sha256, versionKey } from '../crypto/digest.js';
import { verifyInclusion } from '../crypto/merkle.js';
import type { AnchorRecord, Hex } from '../ledger/ports.js';
import { parseReceipt, type Receipt } from './format.js';

/** Stable check codes, in the order they run (docs/receipts.md describes each). */
export const CHECK_CODES = [
  'format',
  'canonicalization',
  'resource-identity',
  'digest',
  'leaf',
  'inclusion',
  'trust-contract',
  'anchor-exists',
  'anchor-root',
  'anchor-size',
  'anchor-tx',
  'member',
] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

/** One check as run. Shaped like the $verify-anchor operation's AnchorCheck. A check that was
 * not run because it is not configured (`trust-contract`, `member`) is listed with passed false
 * and skipped true, so a report never claims what was not established. A passed check with
 * `warning` holds but something changed since that the payer should weigh (a member removed
 * after it anchored). */
export interface CheckResult {
  name: CheckCode;
  passed: boolean;
  skipped?: true;
  warning?: true;
  /** Why it failed or was skipped, or what it established. */
  detail?: string;
}

export type VerifyResult =
  | { valid: true; receipt: Receipt; anchor: AnchorRecord; checks: CheckResult[] }
  | { valid: false; failedCheck: CheckCode; reason: string; checks: CheckResult[] };

/** Reads the anchor a member wrote at a sequence (AnchorRegistry.getAnchor); null when none.
 * Errors (chain unreachable) propagate: that is "could not verify", not "invalid". */
export type AnchorLookup = (member: Hex, sequence: bigint) => Promise<AnchorRecord | null>;

export type MemberVerdict = { ok: true; detail?: string; warning?: boolean } | { ok: false; reason: string };

/** Whether the anchoring member was a registered HOSPITAL allowed to anchor via its submitter. */
export type MemberCheck = (anchor: AnchorRecord) => Promise<MemberVerdict>;

/** The AnchorRegistry a receipt must name, from the consortium trust file (never from the receipt). */
export interface PinnedAnchorRegistry {
  chainId: number;
  anchorRegistry: Hex;
}

export interface VerifyOptions {
  /** Without it the `trust-contract` check is reported as skipped: the lookup alone decides
   * which registry is asked, so the caller must bind it to the consortium's. */
  pinned?: PinnedAnchorRegistry;
  /** Without it the `member` check is reported as skipped. */
  memberCheck?: MemberCheck;
}

class CheckFailed extends Error {
  constructor(
    readonly code: CheckCode,
    reason: string,
  ) {
    super(reason);
  }
}

function hex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

function bytes(value: Hex): Buffer {
  return Buffer.from(value.slice(2), 'hex');
}

/** Chain adapters may hand back checksummed addresses; receipts are lower case. */
function same(chain: string, receipt: string): boolean {
  return chain.toLowerCase() === receipt;
}

function checkIdentity(resource: unknown, receipt: Receipt): void {
  const ref = receipt.resource;
  const expected = `${ref.type}/${ref.id}/_history/${ref.versionId}`;
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    throw new CheckFailed('resource-identity', `The resource is not a JSON object; the receipt is for ${expected}.`);
  }
  const r = resource as { resourceType?: unknown; id?: unknown; meta?: unknown };
  if (r.resourceType !== ref.type || r.id !== ref.id) {
    throw new CheckFailed(
      'resource-identity',
      `The resource is ${String(r.resourceType)}/${String(r.id)} but the receipt is for ${expected}: use the receipt issued for this resource.`,
    );
  }
  // meta is outside the digest; the versionId that counts is the receipt's, which the leaf
  // commits to through versionKey. A copy without meta.versionId is accepted, a different
  // one is not.
  if (r.meta === undefined) return;
  if (typeof r.meta !== 'object' || r.meta === null || Array.isArray(r.meta)) {
    throw new CheckFailed('resource-identity', 'The resource has a meta element that is not a JSON object.');
  }
  const versionId = (r.meta as { versionId?: unknown }).versionId;
  if (versionId !== undefined && versionId !== ref.versionId) {
    throw new CheckFailed(
      'resource-identity',
      `The resource is version ${String(versionId)} but the receipt is for ${expected}: use the receipt of that version.`,
    );
  }
}

function checkDigest(resource: object, receipt: Receipt): Buffer {
  let digest: Buffer;
  try {
    digest = sha256(canonicalizeResource(resource));
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    throw new CheckFailed('digest', `The resource cannot be canonicalized: ${err.message}.`);
  }
  if (hex(digest) !== receipt.digest) {
    throw new CheckFailed(
      'digest',
      `The resource's digest is ${hex(digest)}, the receipt's is ${receipt.digest}: the content differs from the anchored version.`,
    );
  }
  return digest;
}

function checkLeaf(digest: Buffer, receipt: Receipt): Buffer {
  const ref = receipt.resource;
  const key = versionKey(ref.type, ref.id, ref.versionId);
  if (hex(key) !== receipt.versionKey) {
    throw new CheckFailed(
      'leaf',
      `versionKey of ${ref.type}/${ref.id}/_history/${ref.versionId} is ${hex(key)}, the receipt says ${receipt.versionKey}.`,
    );
  }
  const leaf = leafHash(bytes(receipt.salt), key, digest);
  if (hex(leaf) !== receipt.leaf) {
    throw new CheckFailed('leaf', `The leaf recomputed from salt, versionKey and digest is ${hex(leaf)}, the receipt says ${receipt.leaf}.`);
  }
  return leaf;
}

function checkAnchorTx(anchor: AnchorRecord, receipt: Receipt): void {
  const a = receipt.anchor;
  const mismatches: string[] = [];
  const compare = (field: string, chain: string | number, claimed: string | number): void => {
    const equal = typeof chain === 'string' && typeof claimed === 'string' ? same(chain, claimed) : chain === claimed;
    if (!equal) mismatches.push(`${field} (chain ${chain}, receipt ${claimed})`);
  };
  compare('chainId', anchor.chainId, a.chainId);
  compare('contract', anchor.contract, a.contract);
  compare('txHash', anchor.txHash, a.txHash);
  compare('blockNumber', anchor.blockNumber, a.blockNumber);
  compare('blockTimestamp', anchor.blockTime, a.blockTimestamp);
  compare('submitter', anchor.submitter, a.submitter);
  compare('prevRoot', anchor.prevRoot, a.prevRoot);
  if (mismatches.length > 0) {
    throw new CheckFailed('anchor-tx', `The chain's anchor record differs from the receipt in ${mismatches.join(', ')}.`);
  }
}

/**
 * Verifies that `resource` is the version the receipt names and that it was anchored as the
 * receipt claims. `receipt` may be a JSON string or a parsed value; it is parsed strictly.
 */
export async function verifyReceipt(
  resource: unknown,
  receipt: unknown,
  lookup: AnchorLookup,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const checks: CheckResult[] = [];
  const pass = (name: CheckCode): void => {
    checks.push({ name, passed: true });
  };
  try {
    let parsed: Receipt;
    try {
      parsed = parseReceipt(receipt);
    } catch (err) {
      if (!(err instanceof OperationOutcomeError)) throw err;
      throw new CheckFailed('format', err.message);
    }
    pass('format');

    if (parsed.canonicalization !== CANONICALIZATION_ID) {
      throw new CheckFailed(
        'canonicalization',
        `Unknown canonicalization ${parsed.canonicalization}; this verifier knows ${CANONICALIZATION_ID}.`,
      );
    }
    pass('canonicalization');

    checkIdentity(resource, parsed);
    pass('resource-identity');

    const digest = checkDigest(resource as object, parsed);
    pass('digest');

    const leaf = checkLeaf(digest, parsed);
    pass('leaf');

    if (!verifyInclusion(parsed.leafIndex, parsed.treeSize, leaf, parsed.auditPath.map(bytes), bytes(parsed.root))) {
      throw new CheckFailed(
        'inclusion',
        `The audit path does not lead from leaf ${parsed.leafIndex} of a ${parsed.treeSize}-leaf tree to root ${parsed.root}.`,
      );
    }
    pass('inclusion');

    // Before any chain read: the receipt's registry is a claim. A look-alike registry on the same
    // chain can hold an anchor under a real member's id; only the pinned one counts.
    if (options.pinned === undefined) {
      checks.push({ name: 'trust-contract', passed: false, skipped: true, detail: 'Not checked: no trust file pinned the consortium registry.' });
    } else {
      const { chainId, anchorRegistry } = options.pinned;
      const claimed = parsed.anchor;
      if (claimed.chainId !== chainId || !same(anchorRegistry, claimed.contract)) {
        throw new CheckFailed(
          'trust-contract',
          `The receipt names AnchorRegistry ${claimed.contract} on chain ${claimed.chainId}; the consortium's (trust file) is ${anchorRegistry.toLowerCase()} on chain ${chainId}: this anchor is not in the consortium's registry.`,
        );
      }
      pass('trust-contract');
    }

    const { member, sequence } = parsed.anchor;
    const anchor = await lookup(member, BigInt(sequence));
    if (anchor === null || !same(anchor.member, member) || anchor.sequence !== BigInt(sequence)) {
      throw new CheckFailed(
        'anchor-exists',
        `The chain has no anchor by member ${member} at sequence ${sequence} (chain ${parsed.anchor.chainId}, contract ${parsed.anchor.contract}).`,
      );
    }
    pass('anchor-exists');

    if (!same(anchor.root, parsed.root)) {
      throw new CheckFailed('anchor-root', `The chain's root for this anchor is ${anchor.root.toLowerCase()}, not the receipt's ${parsed.root}.`);
    }
    pass('anchor-root');

    if (anchor.leafCount !== parsed.treeSize || anchor.leafCount !== parsed.anchor.leafCount) {
      throw new CheckFailed(
        'anchor-size',
        `The chain records ${anchor.leafCount} leaves for this anchor; the receipt says treeSize ${parsed.treeSize}, leafCount ${parsed.anchor.leafCount}.`,
      );
    }
    pass('anchor-size');

    checkAnchorTx(anchor, parsed);
    pass('anchor-tx');

    if (options.memberCheck === undefined) {
      checks.push({ name: 'member', passed: false, skipped: true, detail: 'Not checked: no membership check configured.' });
    } else {
      const verdict = await options.memberCheck(anchor);
      if (!verdict.ok) throw new CheckFailed('member', verdict.reason);
      checks.push({
        name: 'member',
        passed: true,
        ...(verdict.warning ? { warning: true as const } : {}),
        ...(verdict.detail !== undefined ? { detail: verdict.detail } : {}),
      });
    }
    return { valid: true, receipt: parsed, anchor, checks };
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err;
    checks.push({ name: err.code, passed: false, detail: err.message });
    return { valid: false, failedCheck: err.code, reason: err.message, checks };
  }
}
