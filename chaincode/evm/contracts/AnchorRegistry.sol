// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAnchorRegistry} from "./IAnchorRegistry.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @title Append-only, gapless log of Merkle batch roots per consortium member.
/// @notice Anchors are keyed by member (keccak256 of its org id), not by signer, so a member can
/// rotate keys without breaking its sequence. Each anchor names the previous root, so a member's
/// anchors form a hash-linked chain that anyone can audit for completeness.
contract AnchorRegistry is IAnchorRegistry {
    uint8 private constant HOSPITAL = 1;

    struct RootRef {
        bytes32 member;
        uint64 sequence;
    }

    /// @notice Registry that decides who may anchor.
    IConsortiumRegistry public immutable consortium;

    mapping(bytes32 member => uint64) private _latest;
    mapping(bytes32 member => mapping(uint64 sequence => Anchor)) private _anchors;
    mapping(bytes32 root => RootRef) private _roots;

    /// @dev Requirements:
    /// - `consortium_` has code.
    constructor(IConsortiumRegistry consortium_) {
        if (address(consortium_).code.length == 0) revert AnchorRegistryInvalidConsortium(address(consortium_));
        consortium = consortium_;
    }

    /// @notice Anchors batch `sequence` of the caller's member.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - `root` is non-zero and `leafCount` is non-zero;
    /// - `sequence` is the member's latest sequence + 1 (a lower non-zero one is a duplicate);
    /// - `prevRoot` is the member's latest root, zero for sequence 1;
    /// - no member anchored `root` before.
    function anchor(uint64 sequence, bytes32 root, uint32 leafCount, bytes32 prevRoot) external {
        if (!consortium.hasRole(msg.sender, HOSPITAL)) revert AnchorRegistryNotHospital(msg.sender);
        bytes32 member = consortium.memberOfSigner(msg.sender);
        if (root == bytes32(0)) revert AnchorRegistryZeroRoot();
        if (leafCount == 0) revert AnchorRegistryEmptyBatch();

        uint64 latest = _latest[member];
        if (sequence != 0 && sequence <= latest) {
            revert AnchorRegistryDuplicate(member, sequence, _anchors[member][sequence].root);
        }
        if (sequence != latest + 1) revert AnchorRegistryGap(member, latest + 1, sequence);
        bytes32 expectedPrev = _anchors[member][latest].root;
        if (prevRoot != expectedPrev) revert AnchorRegistryPrevRootMismatch(member, expectedPrev, prevRoot);
        RootRef storage ref = _roots[root];
        if (ref.sequence != 0) revert AnchorRegistryRootExists(root, ref.member, ref.sequence);

        _latest[member] = sequence;
        _anchors[member][sequence] = Anchor({
            root: root,
            prevRoot: prevRoot,
            leafCount: leafCount,
            blockNumber: uint64(block.number),
            timestamp: uint64(block.timestamp),
            submitter: msg.sender
        });
        ref.member = member;
        ref.sequence = sequence;
        emit Anchored(member, sequence, root, leafCount, prevRoot, msg.sender);
    }

    /// @notice Highest sequence `member` anchored, 0 when none.
    function latestSequence(bytes32 member) external view returns (uint64) {
        return _latest[member];
    }

    /// @notice The anchor of `member` at `sequence`; all fields zero when there is none.
    function getAnchor(bytes32 member, uint64 sequence) external view returns (Anchor memory) {
        return _anchors[member][sequence];
    }

    /// @notice Who anchored `root` and at which sequence; zeros when nobody did.
    function anchorOfRoot(bytes32 root) external view returns (bytes32 member, uint64 sequence) {
        RootRef storage ref = _roots[root];
        return (ref.member, ref.sequence);
    }
}
