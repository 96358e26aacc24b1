// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IClaimRegistry} from "./IClaimRegistry.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @dev The AnchorRegistry views this registry reads.
interface IAnchors {
    function consortium() external view returns (IConsortiumRegistry);
    function latestSequence(bytes32 member) external view returns (uint64);
}

/// @title Claim-line fingerprints, for finding the same service billed twice across members.
/// @notice Salted Merkle leaves make two claims unlinkable on purpose; a fingerprint links them
/// deliberately, and only for holders of the claims key. A hospital registers the fingerprints of
/// a claim's lines once the batch holding the claim is anchored, naming that anchor and the claim's
/// tag, so a payer finds every registration of a fingerprint with one call and can tell which came
/// first: registrations are kept in chain order. A line is registered once per claim, whatever
/// the claim's later versions. Membership is that of the AnchorRegistry's consortium.
contract ClaimRegistry is IClaimRegistry {
    uint8 private constant HOSPITAL = 1;
    /// @notice Lines per transaction: keeps one registration well inside a block's gas limit.
    uint256 public constant MAX_LINES = 128;

    /// @notice Registry whose anchors the registrations point into.
    IAnchors public immutable anchors;
    /// @notice Registry that decides who may register (the one `anchors` consults).
    IConsortiumRegistry public immutable consortium;

    mapping(bytes32 fingerprint => Registration[]) private _registrations;
    mapping(bytes32 key => bool) private _registered;

    /// @dev Requirements:
    /// - `anchors_` has code.
    constructor(address anchors_) {
        if (anchors_.code.length == 0) revert ClaimRegistryInvalidAnchorRegistry(anchors_);
        anchors = IAnchors(anchors_);
        consortium = IAnchors(anchors_).consortium();
    }

    /// @notice Registers line fingerprints of the caller's member's claims held in its anchor
    /// `anchorSequence`: line i is `fingerprints[i]` of the claim tagged `claimTags[i]`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - `claimTags` and `fingerprints` are non-empty, of equal length, at most `MAX_LINES`;
    /// - the member anchored `anchorSequence`;
    /// - no fingerprint and no claim tag is zero;
    /// - the member has not registered the same fingerprint for the same claim tag before.
    function register(uint64 anchorSequence, bytes32[] calldata claimTags, bytes32[] calldata fingerprints) external {
        if (!consortium.hasRole(msg.sender, HOSPITAL)) revert ClaimRegistryNotHospital(msg.sender);
        bytes32 member = consortium.memberOfSigner(msg.sender);
        uint256 count = fingerprints.length;
        if (count == 0 || claimTags.length != count) revert ClaimRegistryLengthMismatch(claimTags.length, count);
        if (count > MAX_LINES) revert ClaimRegistryTooManyLines(count, MAX_LINES);
        uint64 latest = anchors.latestSequence(member);
        if (anchorSequence == 0 || anchorSequence > latest) revert ClaimRegistryUnknownAnchor(member, anchorSequence, latest);

        for (uint256 i = 0; i < count; i++) {
            bytes32 fingerprint = fingerprints[i];
            bytes32 claimTag = claimTags[i];
            if (fingerprint == bytes32(0)) revert ClaimRegistryZeroFingerprint(i);
            if (claimTag == bytes32(0)) revert ClaimRegistryZeroClaimTag(i);
            bytes32 key = keccak256(abi.encode(fingerprint, member, claimTag));
            if (_registered[key]) revert ClaimRegistryAlreadyRegistered(fingerprint, member, claimTag, anchorSequence);
            _registered[key] = true;
            _registrations[fingerprint].push(
                Registration({
                    member: member,
                    claimTag: claimTag,
                    anchorSequence: anchorSequence,
                    blockNumber: uint64(block.number),
                    timestamp: uint64(block.timestamp)
                })
            );
            emit ClaimLineRegistered(fingerprint, member, anchorSequence, claimTag);
        }
    }

    /// @notice Every registration of `fingerprint`, in chain order (the first is the earliest).
    function registrationsOf(bytes32 fingerprint) external view returns (Registration[] memory) {
        return _registrations[fingerprint];
    }

    /// @notice Whether `member` registered `fingerprint` for its claim `claimTag`.
    function isRegistered(bytes32 fingerprint, bytes32 member, bytes32 claimTag) external view returns (bool) {
        return _registered[keccak256(abi.encode(fingerprint, member, claimTag))];
    }
}
