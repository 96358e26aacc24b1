// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Errors, events and record types of the patient consent registry.
/// @notice Patients appear only as pseudonymous addresses. The clear scope of a grant (resource
/// types, US Core categories, actions) stays in the R5 Consent resource at the hospital that
/// recorded it; the chain holds the EIP-712 hashes of those lists, so a wallet shows the patient
/// the clear terms while nothing readable is published.
interface IConsentRegistry {
    /// @notice The terms a patient signs (EIP-712 `Consent`), with the two string arrays already
    /// reduced to their EIP-712 encodings: `keccak256(abi.encodePacked(keccak256(bytes(s_i))...))`.
    struct ConsentTerms {
        address patient;
        bytes32 granteeMember;
        /// Zero: any practitioner of the grantee member.
        bytes32 granteePractitioner;
        bytes32 actionsHash;
        bytes32 categoriesHash;
        /// Bit set of HL7 v3 PurposeOfUse codes: TREAT 1, ETREAT 2, HPAYMT 4, HRESCH 8.
        uint8 purposes;
        uint64 notBefore;
        uint64 notAfter;
        uint256 nonce;
    }

    /// @notice A recorded grant.
    struct Grant {
        address patient;
        uint8 purposes;
        uint64 notBefore;
        uint64 notAfter;
        uint64 revokedAt;
        bytes32 granteeMember;
        bytes32 granteePractitioner;
        /// keccak256(abi.encode(actionsHash, categoriesHash)).
        bytes32 scopeHash;
        /// The member that submitted the grant on the patient's behalf.
        bytes32 recordedBy;
    }

    /// @dev The consortium registry address given to the constructor has no code.
    error ConsentRegistryInvalidConsortium(address consortium);
    /// @dev `account` is not a signer of an active member holding the HOSPITAL role.
    error ConsentRegistryNotHospital(address account);
    /// @dev `memberId` is not an active consortium member.
    error ConsentRegistryUnknownGrantee(bytes32 memberId);
    /// @dev `purposes` is zero or has bits outside the known PurposeOfUse codes.
    error ConsentRegistryInvalidPurposes(uint8 purposes);
    /// @dev The window is empty (`notAfter <= notBefore`) or already over at block time `now_`.
    error ConsentRegistryInvalidWindow(uint64 notBefore, uint64 notAfter, uint64 now_);
    /// @dev `got` is not the patient's next nonce `expected`: a replayed or out-of-order message.
    error ConsentRegistryInvalidNonce(address patient, uint256 expected, uint256 got);
    /// @dev The signature does not recover to `patient` (`recovered` is zero when it is malformed).
    error ConsentRegistryInvalidSignature(address patient, address recovered);
    /// @dev No grant was recorded under `grantId`.
    error ConsentRegistryUnknownGrant(bytes32 grantId);
    /// @dev The grant was already revoked at `revokedAt`.
    error ConsentRegistryAlreadyRevoked(bytes32 grantId, uint64 revokedAt);
    /// @dev `account` is not the patient of `grantId`.
    error ConsentRegistryNotPatient(bytes32 grantId, address account);
    /// @dev `memberId` is not an active member holding the EMERGENCY role.
    error ConsentRegistryNotEmergencyMember(bytes32 memberId);
    /// @dev The patient address is zero.
    error ConsentRegistryZeroPatient();
    /// @dev The break-glass reason hash is zero: a reason must be stated.
    error ConsentRegistryEmptyReason();

    event ConsentGranted(
        bytes32 indexed grantId,
        address indexed patient,
        bytes32 indexed granteeMember,
        bytes32 granteePractitioner,
        bytes32 scopeHash,
        uint8 purposes,
        uint64 notBefore,
        uint64 notAfter,
        bytes32 recordedBy
    );
    event ConsentRevoked(bytes32 indexed grantId, address indexed patient, address submitter);
    event EmergencyAccessed(
        bytes32 indexed accessor,
        address indexed patient,
        bytes32 indexed servingMember,
        bytes32 reasonHash
    );
}
