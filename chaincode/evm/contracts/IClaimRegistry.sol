// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Errors, events and record type of the claim-line fingerprint registry.
/// @notice A fingerprint is a keyed hash (HMAC-SHA-256 under the consortium's claims key, which
/// never goes on chain) of one normalised claim line: subscriber id, date of service, procedure
/// code and billing practitioner. Without the key it is a random-looking 32-byte value; with it,
/// the same service billed twice, by one hospital or by two, has the same fingerprint.
interface IClaimRegistry {
    /// @notice One registration of a fingerprint: which member registered it, for which of its
    /// claims (`claimTag`, a keyed hash of the claim's id: stable across the claim's versions), and
    /// which of that member's anchors holds the claim version it came from.
    struct Registration {
        bytes32 member;
        bytes32 claimTag;
        uint64 anchorSequence;
        uint64 blockNumber;
        uint64 timestamp;
    }

    /// @dev The anchor registry address given to the constructor has no code.
    error ClaimRegistryInvalidAnchorRegistry(address anchorRegistry);
    /// @dev `account` is not a signer of an active member holding the HOSPITAL role.
    error ClaimRegistryNotHospital(address account);
    /// @dev No lines were given, or `claimTags` and `fingerprints` differ in length.
    error ClaimRegistryLengthMismatch(uint256 claimTags, uint256 fingerprints);
    /// @dev More than `max` lines in one transaction.
    error ClaimRegistryTooManyLines(uint256 count, uint256 max);
    /// @dev `member` has not anchored `anchorSequence` (its latest is `latest`): fingerprints follow anchors.
    error ClaimRegistryUnknownAnchor(bytes32 member, uint64 anchorSequence, uint64 latest);
    /// @dev The fingerprint at `index` is zero.
    error ClaimRegistryZeroFingerprint(uint256 index);
    /// @dev The claim tag at `index` is zero.
    error ClaimRegistryZeroClaimTag(uint256 index);
    /// @dev `member` already registered `fingerprint` for its claim `claimTag` (at anchor `anchorSequence`).
    error ClaimRegistryAlreadyRegistered(bytes32 fingerprint, bytes32 member, bytes32 claimTag, uint64 anchorSequence);

    event ClaimLineRegistered(
        bytes32 indexed fingerprint,
        bytes32 indexed member,
        uint64 indexed anchorSequence,
        bytes32 claimTag
    );
}
