// Turns one leaf of an anchored batch into its receipt. The anchorer calls this once the anchor
// transaction is in a block; every value is cross-checked so a node never hands out a receipt
// that its own verifier would reject.
import { CANONICALIZATION_ID } from '../crypto/canonical.js';
import { leafHash, versionKey } from '../crypto/digest.js';
import type { MerkleTree } from '../crypto/merkle.js';
import type { AnchorRecord, Hex } from '../ledger/ports.js';
import { RECEIPT_FORMAT, isoFromUnixSeconds, type Receipt } from './format.js';

/** What the batcher kept for one resource version. */
export interface BatchedVersion {
  type: string;
  id: string;
  versionId: string;
  digest: Uint8Array;
  salt: Uint8Array;
  leafIndex: number;
}

function hex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

function lower(value: Hex): Hex {
  return value.toLowerCase() as Hex;
}

/**
 * Builds the receipt for `version` in `tree`, anchored as `anchor`. Throws Error when the three
 * disagree (wrong leaf index, tree not the anchored one): that is a bug in the caller, not a
 * client error.
 */
export function issueReceipt(version: BatchedVersion, tree: MerkleTree, anchor: AnchorRecord): Receipt {
  const key = versionKey(version.type, version.id, version.versionId);
  const leaf = leafHash(version.salt, key, version.digest);
  if (!tree.leaf(version.leafIndex).equals(leaf)) {
    throw new Error(`leaf ${version.leafIndex} of the batch is not ${version.type}/${version.id}/_history/${version.versionId}`);
  }
  const root = hex(tree.root);
  if (root !== lower(anchor.root) || tree.size !== anchor.leafCount) {
    throw new Error(`anchor ${anchor.sequence} (root ${anchor.root}, ${anchor.leafCount} leaves) is not this batch (root ${root}, ${tree.size} leaves)`);
  }
  return {
    format: RECEIPT_FORMAT,
    canonicalization: CANONICALIZATION_ID,
    resource: { type: version.type, id: version.id, versionId: version.versionId },
    digest: hex(version.digest),
    salt: hex(version.salt),
    versionKey: hex(key),
    leaf: hex(leaf),
    leafIndex: version.leafIndex,
    treeSize: tree.size,
    auditPath: tree.inclusionProof(version.leafIndex).map(hex),
    root,
    anchor: {
      // AnchorRecord is what the EVM ports return; a Fabric anchor will carry its own kind.
      kind: 'evm',
      member: lower(anchor.member),
      submitter: lower(anchor.submitter),
      sequence: anchor.sequence.toString(10),
      prevRoot: lower(anchor.prevRoot),
      leafCount: anchor.leafCount,
      chainId: anchor.chainId,
      contract: lower(anchor.contract),
      txHash: lower(anchor.txHash),
      blockNumber: anchor.blockNumber,
      blockTime: isoFromUnixSeconds(anchor.blockTime),
      blockTimestamp: anchor.blockTime,
    },
  };
}
