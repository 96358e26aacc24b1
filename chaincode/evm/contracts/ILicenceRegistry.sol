// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Errors, events and record types of the practitioner licence registry.
/// @notice The credential itself (a W3C Verifiable Credential naming the practitioner's key, the
/// jurisdiction, degree and specialty, with the licence number only as a salted hash) stays with the
/// practitioner and the issuing LICENSING member. The chain holds its EIP-712 hash, its subject key,
/// its validity window and whether it was revoked: enough for any member to check a licence at a
/// moment, nothing that names a person.
interface ILicenceRegistry {
    /// @notice A recorded licence credential.
    struct Licence {
        /// The LICENSING member that issued it.
        bytes32 issuerMember;
        /// The practitioner's key: the credential's subject.
        address subject;
        uint64 validFrom;
        uint64 validUntil;
        /// Block time of the revocation; zero while the licence stands.
        uint64 revokedAt;
    }

    /// @dev The consortium registry address given to the constructor has no code.
    error LicenceRegistryInvalidConsortium(address consortium);
    /// @dev `account` is not a signer of an active member holding the LICENSING role.
    error LicenceRegistryNotLicensingMember(address account);
    /// @dev The credential hash is zero.
    error LicenceRegistryZeroCredentialHash();
    /// @dev The subject (the practitioner's key) is the zero address.
    error LicenceRegistryZeroSubject();
    /// @dev The window is empty (`validUntil <= validFrom`) or already over at block time `now_`.
    error LicenceRegistryInvalidPeriod(uint64 validFrom, uint64 validUntil, uint64 now_);
    /// @dev A credential with this hash was already issued (credentials are never re-issued).
    error LicenceRegistryAlreadyIssued(bytes32 credentialHash);
    /// @dev No credential was issued under `credentialHash`.
    error LicenceRegistryUnknownCredential(bytes32 credentialHash);
    /// @dev `account` is not a signer of `issuerMember`, the member that issued the credential.
    error LicenceRegistryNotIssuer(bytes32 credentialHash, bytes32 issuerMember, address account);
    /// @dev The credential was already revoked at `revokedAt`.
    error LicenceRegistryAlreadyRevoked(bytes32 credentialHash, uint64 revokedAt);
    /// @dev `subject` holds `count` credentials; there is none at `index`.
    error LicenceRegistryIndexOutOfRange(address subject, uint256 index, uint256 count);

    event LicenceIssued(
        bytes32 indexed credentialHash,
        address indexed subject,
        bytes32 indexed issuerMember,
        uint64 validFrom,
        uint64 validUntil
    );
    event LicenceRevoked(bytes32 indexed credentialHash, address indexed subject, bytes32 indexed issuerMember);
}
