// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";
import {ILicenceRegistry} from "./ILicenceRegistry.sol";

/// @dev The membership views this registry reads; `getMember` is on ConsortiumRegistry but not in
/// its interface.
interface ILicensingMembers {
    function hasRole(address signer, uint8 role) external view returns (bool);
    function memberOfSigner(address signer) external view returns (bytes32);
    function getMember(bytes32 memberId) external view returns (IConsortiumRegistry.MemberView memory);
}

/// @title Practitioner licence credentials: their hashes, subjects, windows and revocations.
/// @notice A member with the LICENSING role issues; only a signer of that same member revokes.
/// A licence counts only while its issuer is still an active LICENSING member: a board the
/// consortium votes out takes the trust in its credentials with it. Revocation takes effect in the
/// block that includes it and keeps the time, so a licence can still be checked at a past moment
/// (the date of an encounter a payer verifies).
contract LicenceRegistry is ILicenceRegistry {
    uint8 private constant LICENSING = 8;

    /// @notice Registry that decides who may issue.
    ILicensingMembers public immutable consortium;

    mapping(bytes32 credentialHash => Licence) private _licences;
    mapping(address subject => bytes32[]) private _bySubject;

    /// @dev Requirements:
    /// - `consortium_` has code.
    constructor(address consortium_) {
        if (consortium_.code.length == 0) revert LicenceRegistryInvalidConsortium(consortium_);
        consortium = ILicensingMembers(consortium_);
    }

    /// @notice Records the credential whose EIP-712 hash is `credentialHash`, issued to `subject`
    /// for `validFrom <= t < validUntil`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the LICENSING role;
    /// - `credentialHash` is non-zero and was never issued;
    /// - `subject` is non-zero;
    /// - `validFrom < validUntil` and `validUntil` is after the block time.
    function issue(bytes32 credentialHash, address subject, uint64 validFrom, uint64 validUntil) external {
        if (!consortium.hasRole(msg.sender, LICENSING)) revert LicenceRegistryNotLicensingMember(msg.sender);
        if (credentialHash == bytes32(0)) revert LicenceRegistryZeroCredentialHash();
        if (subject == address(0)) revert LicenceRegistryZeroSubject();
        if (validUntil <= validFrom || validUntil <= block.timestamp) {
            revert LicenceRegistryInvalidPeriod(validFrom, validUntil, uint64(block.timestamp));
        }
        if (_licences[credentialHash].issuerMember != bytes32(0)) revert LicenceRegistryAlreadyIssued(credentialHash);
        bytes32 issuer = consortium.memberOfSigner(msg.sender);
        _licences[credentialHash] = Licence({
            issuerMember: issuer,
            subject: subject,
            validFrom: validFrom,
            validUntil: validUntil,
            revokedAt: 0
        });
        _bySubject[subject].push(credentialHash);
        emit LicenceIssued(credentialHash, subject, issuer, validFrom, validUntil);
    }

    /// @notice Revokes `credentialHash` from this block on.
    /// @dev Requirements:
    /// - the credential exists and is not revoked;
    /// - the caller is a current signer of the member that issued it (also after that member lost
    ///   the LICENSING role or left: revoking only ever withdraws trust).
    function revoke(bytes32 credentialHash) external {
        Licence storage l = _existing(credentialHash);
        if (consortium.memberOfSigner(msg.sender) != l.issuerMember) {
            revert LicenceRegistryNotIssuer(credentialHash, l.issuerMember, msg.sender);
        }
        if (l.revokedAt != 0) revert LicenceRegistryAlreadyRevoked(credentialHash, l.revokedAt);
        l.revokedAt = uint64(block.timestamp);
        emit LicenceRevoked(credentialHash, l.subject, l.issuerMember);
    }

    /// @notice The licence recorded under `credentialHash`.
    /// @dev Requirements:
    /// - the credential exists.
    function getLicence(bytes32 credentialHash) external view returns (Licence memory) {
        return _existing(credentialHash);
    }

    /// @notice Number of credentials ever issued to `subject`, revoked ones included.
    function licenceCount(address subject) external view returns (uint256) {
        return _bySubject[subject].length;
    }

    /// @notice The hash of the `index`-th credential issued to `subject`, in issue order.
    /// @dev Requirements:
    /// - `index < licenceCount(subject)`.
    function licenceOf(address subject, uint256 index) external view returns (bytes32) {
        bytes32[] storage hashes = _bySubject[subject];
        if (index >= hashes.length) revert LicenceRegistryIndexOutOfRange(subject, index, hashes.length);
        return hashes[index];
    }

    /// @notice Whether `credentialHash` licenses `subject` at time `at` (seconds since the epoch):
    /// issued to `subject`, `validFrom <= at < validUntil`, not revoked at or before `at`, and its
    /// issuer is an active LICENSING member now.
    function isValid(bytes32 credentialHash, address subject, uint64 at) external view returns (bool) {
        Licence storage l = _licences[credentialHash];
        if (l.issuerMember == bytes32(0) || l.subject != subject) return false;
        if (at < l.validFrom || at >= l.validUntil) return false;
        if (l.revokedAt != 0 && l.revokedAt <= at) return false;
        try consortium.getMember(l.issuerMember) returns (IConsortiumRegistry.MemberView memory m) {
            return m.active && m.roles & LICENSING == LICENSING;
        } catch {
            return false;
        }
    }

    function _existing(bytes32 credentialHash) private view returns (Licence storage l) {
        l = _licences[credentialHash];
        if (l.issuerMember == bytes32(0)) revert LicenceRegistryUnknownCredential(credentialHash);
    }
}
