// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @dev The membership views this registry reads; `getMember` is on ConsortiumRegistry but not in
/// its interface.
interface IConsortiumMembers {
    function hasRole(address signer, uint8 role) external view returns (bool);
    function memberOfSigner(address signer) external view returns (bytes32);
    function getMember(bytes32 memberId) external view returns (IConsortiumRegistry.MemberView memory);
}

/// @title Patient consents as EIP-712 signed grants, revocations and break-glass events.
/// @notice A hospital submits a grant the patient signed (with their own wallet, or with the key the
/// hospital custodies for them), so the patient never needs gas. The contract checks the signature
/// itself, with this contract as the EIP-712 verifying contract, and consumes the patient's next
/// nonce, so a consent can be recorded once and never replayed, here or on another deployment.
/// A grant's id is its EIP-712 digest. Revocation takes effect in the block that includes it.
contract ConsentRegistry is IConsentRegistry {
    uint8 private constant HOSPITAL = 1;
    uint8 private constant EMERGENCY = 16;
    uint8 private constant ALL_PURPOSES = 15;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("careledger ConsentRegistry");
    bytes32 private constant VERSION_HASH = keccak256("1");
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "Consent(address patient,bytes32 granteeMember,bytes32 granteePractitioner,string[] actions,string[] categories,uint8 purposes,uint64 notBefore,uint64 notAfter,uint256 nonce)"
    );
    bytes32 public constant REVOCATION_TYPEHASH = keccak256("Revocation(bytes32 grantId,uint256 nonce)");

    /// secp256k1n / 2: signatures with a larger s are the malleable twin of a valid one.
    uint256 private constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice Registry that decides who may submit and who holds the EMERGENCY role.
    IConsortiumMembers public immutable consortium;

    mapping(bytes32 grantId => Grant) private _grants;
    mapping(address patient => uint256) private _nonces;

    /// @dev Requirements:
    /// - `consortium_` has code.
    constructor(address consortium_) {
        if (consortium_.code.length == 0) revert ConsentRegistryInvalidConsortium(consortium_);
        consortium = IConsortiumMembers(consortium_);
    }

    /// @notice Records a grant signed by `terms.patient`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - `terms.granteeMember` is an active member;
    /// - `terms.purposes` is a non-zero set of known PurposeOfUse bits;
    /// - `terms.notBefore < terms.notAfter` and `terms.notAfter` is after the block time;
    /// - `terms.nonce` is the patient's next nonce;
    /// - `signature` is the patient's (65 bytes, low s) over the EIP-712 digest of the terms.
    /// @return grantId the EIP-712 digest of the terms.
    function grant(ConsentTerms calldata terms, bytes calldata signature) external returns (bytes32 grantId) {
        bytes32 submitter = _hospitalOf(msg.sender);
        if (!_isActiveMember(terms.granteeMember)) revert ConsentRegistryUnknownGrantee(terms.granteeMember);
        if (terms.purposes == 0 || terms.purposes & ~ALL_PURPOSES != 0) revert ConsentRegistryInvalidPurposes(terms.purposes);
        if (terms.notAfter <= terms.notBefore || terms.notAfter <= block.timestamp) {
            revert ConsentRegistryInvalidWindow(terms.notBefore, terms.notAfter, uint64(block.timestamp));
        }
        grantId = consentDigest(terms);
        _useNonce(terms.patient, terms.nonce);
        _checkSignature(terms.patient, grantId, signature);

        _grants[grantId] = Grant({
            patient: terms.patient,
            purposes: terms.purposes,
            notBefore: terms.notBefore,
            notAfter: terms.notAfter,
            revokedAt: 0,
            granteeMember: terms.granteeMember,
            granteePractitioner: terms.granteePractitioner,
            scopeHash: keccak256(abi.encode(terms.actionsHash, terms.categoriesHash)),
            recordedBy: submitter
        });
        emit ConsentGranted(
            grantId,
            terms.patient,
            terms.granteeMember,
            terms.granteePractitioner,
            _grants[grantId].scopeHash,
            terms.purposes,
            terms.notBefore,
            terms.notAfter,
            submitter
        );
    }

    /// @notice Revokes `grantId` with the patient's signed `Revocation`, submitted by a hospital.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - the grant exists and is not revoked;
    /// - `nonce` is the patient's next nonce;
    /// - `signature` is the grant's patient's over the EIP-712 `Revocation(grantId, nonce)`.
    function revokeWithSignature(bytes32 grantId, uint256 nonce, bytes calldata signature) external {
        _hospitalOf(msg.sender);
        Grant storage g = _liveGrant(grantId);
        _useNonce(g.patient, nonce);
        _checkSignature(g.patient, revocationDigest(grantId, nonce), signature);
        _revoke(grantId, g);
    }

    /// @notice Revokes `grantId`, sent by the patient's own address (a wallet-holding patient).
    /// @dev Requirements:
    /// - the grant exists and is not revoked;
    /// - the caller is the grant's patient.
    function revoke(bytes32 grantId) external {
        Grant storage g = _liveGrant(grantId);
        if (msg.sender != g.patient) revert ConsentRegistryNotPatient(grantId, msg.sender);
        _revoke(grantId, g);
    }

    /// @notice Records that the caller's hospital served a break-glass read by `accessor` of the data
    /// of `patient`, for the reason whose salted hash is `reasonHash` (the text stays at the hospital).
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - `accessor` is an active member holding the EMERGENCY role;
    /// - `patient` is non-zero and `reasonHash` is non-zero.
    function recordEmergencyAccess(bytes32 accessor, address patient, bytes32 reasonHash) external {
        bytes32 serving = _hospitalOf(msg.sender);
        if (!_hasMemberRole(accessor, EMERGENCY)) revert ConsentRegistryNotEmergencyMember(accessor);
        if (patient == address(0)) revert ConsentRegistryZeroPatient();
        if (reasonHash == bytes32(0)) revert ConsentRegistryEmptyReason();
        emit EmergencyAccessed(accessor, patient, serving, reasonHash);
    }

    /// @notice The grant recorded under `grantId`.
    /// @dev Requirements:
    /// - the grant exists.
    function getGrant(bytes32 grantId) external view returns (Grant memory) {
        Grant storage g = _grants[grantId];
        if (g.patient == address(0)) revert ConsentRegistryUnknownGrant(grantId);
        return g;
    }

    /// @notice Whether `grantId` exists, is not revoked and its window contains the block time.
    function isActive(bytes32 grantId) external view returns (bool) {
        Grant storage g = _grants[grantId];
        return g.patient != address(0) && g.revokedAt == 0 && g.notBefore <= block.timestamp && block.timestamp < g.notAfter;
    }

    /// @notice The nonce the next consent or revocation of `patient` must carry.
    function nonces(address patient) external view returns (uint256) {
        return _nonces[patient];
    }

    /// @notice The EIP-712 domain separator: name "careledger ConsentRegistry", version "1", this chain and contract.
    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 digest a patient signs for `terms`; also the id of the grant.
    function consentDigest(ConsentTerms calldata terms) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                CONSENT_TYPEHASH,
                terms.patient,
                terms.granteeMember,
                terms.granteePractitioner,
                terms.actionsHash,
                terms.categoriesHash,
                terms.purposes,
                terms.notBefore,
                terms.notAfter,
                terms.nonce
            )
        );
        return _typedDigest(structHash);
    }

    /// @notice The EIP-712 digest a patient signs to revoke `grantId` with `nonce`.
    function revocationDigest(bytes32 grantId, uint256 nonce) public view returns (bytes32) {
        return _typedDigest(keccak256(abi.encode(REVOCATION_TYPEHASH, grantId, nonce)));
    }

    function _revoke(bytes32 grantId, Grant storage g) private {
        g.revokedAt = uint64(block.timestamp);
        emit ConsentRevoked(grantId, g.patient, msg.sender);
    }

    function _typedDigest(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    function _useNonce(address patient, uint256 nonce) private {
        uint256 expected = _nonces[patient];
        if (nonce != expected) revert ConsentRegistryInvalidNonce(patient, expected, nonce);
        _nonces[patient] = expected + 1;
    }

    function _checkSignature(address patient, bytes32 digest, bytes calldata signature) private pure {
        address recovered = _recover(digest, signature);
        if (recovered == address(0) || recovered != patient) revert ConsentRegistryInvalidSignature(patient, recovered);
    }

    /// @dev ecrecover with the checks it lacks: exact length, v in {27, 28}, s in the lower half.
    /// Returns zero for anything malformed.
    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) return address(0);
        return ecrecover(digest, v, r, s);
    }

    function _liveGrant(bytes32 grantId) private view returns (Grant storage g) {
        g = _grants[grantId];
        if (g.patient == address(0)) revert ConsentRegistryUnknownGrant(grantId);
        if (g.revokedAt != 0) revert ConsentRegistryAlreadyRevoked(grantId, g.revokedAt);
    }

    function _hospitalOf(address account) private view returns (bytes32) {
        if (!consortium.hasRole(account, HOSPITAL)) revert ConsentRegistryNotHospital(account);
        return consortium.memberOfSigner(account);
    }

    function _isActiveMember(bytes32 memberId) private view returns (bool) {
        try consortium.getMember(memberId) returns (IConsortiumRegistry.MemberView memory m) {
            return m.active;
        } catch {
            return false;
        }
    }

    function _hasMemberRole(bytes32 memberId, uint8 role) private view returns (bool) {
        try consortium.getMember(memberId) returns (IConsortiumRegistry.MemberView memory m) {
            return m.active && m.roles & role == role;
        } catch {
            return false;
        }
    }
}
