// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Errors, events and record type of the per-member batch root log.
interface IAnchorRegistry {
    /// @notice One anchored batch root and where it was written.
    struct Anchor {
        bytes32 root;
        bytes32 prevRoot;
        uint32 leafCount;
        uint64 blockNumber;
        uint64 timestamp;
        address submitter;
    }

    /// @dev The consortium registry address given to the constructor has no code.
    error AnchorRegistryInvalidConsortium(address consortium);
    /// @dev `account` is not a signer of an active member holding the HOSPITAL role.
    error AnchorRegistryNotHospital(address account);
    /// @dev `got` is not the next sequence of `member`, `expected`; sequences start at 1 with no gaps.
    error AnchorRegistryGap(bytes32 member, uint64 expected, uint64 got);
    /// @dev `member` already anchored `existingRoot` at `sequence`. An anchorer that finds its own root
    /// here knows an earlier submission landed.
    error AnchorRegistryDuplicate(bytes32 member, uint64 sequence, bytes32 existingRoot);
    /// @dev `got` does not match `member`'s previous root `expected` (zero before its first anchor).
    error AnchorRegistryPrevRootMismatch(bytes32 member, bytes32 expected, bytes32 got);
    /// @dev The root is zero.
    error AnchorRegistryZeroRoot();
    /// @dev The batch has no leaves.
    error AnchorRegistryEmptyBatch();
    /// @dev `root` was already anchored by `member` at `sequence`; roots are unique chain-wide.
    error AnchorRegistryRootExists(bytes32 root, bytes32 member, uint64 sequence);

    event Anchored(
        bytes32 indexed member,
        uint64 indexed sequence,
        bytes32 indexed root,
        uint32 leafCount,
        bytes32 prevRoot,
        address submitter
    );
}
