// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";
import {ITelehealthRegistry} from "./ITelehealthRegistry.sol";

/// @dev The membership views this registry reads; `getMember` is on ConsortiumRegistry but not in
/// its interface.
interface ITelehealthMembers {
    function hasRole(address signer, uint8 role) external view returns (bool);
    function memberOfSigner(address signer) external view returns (bytes32);
    function getMember(bytes32 memberId) external view returns (IConsortiumRegistry.MemberView memory);
}

/// @dev The one ConsentRegistry view this registry reads.
interface ITelehealthConsents {
    function getGrant(bytes32 grantId) external view returns (IConsentRegistry.Grant memory);
}

/// @title Cross-institution telehealth sessions: who takes part, on which consent, how it ended.
/// @notice The host member's node writes only what other members must be able to see: the opening
/// (parties and the consent relied on, checked here against ConsentRegistry), invitations,
/// escalations and the close with the root of the session's event log. Everything a participant
/// waits on (check-in, admission, joins) happens at the host at local speed; joins are gated by
/// chain reads (this registry's invitations, the consent, the licences in `licences`), never by a
/// transaction.
contract TelehealthRegistry is ITelehealthRegistry {
    uint8 private constant HOSPITAL = 1;
    uint8 private constant TREAT = 1;
    uint8 private constant OBSERVER = 3;
    uint8 private constant MAX_SEVERITY = 5;
    uint8 private constant NO_SHOW = 3;

    /// @notice Registry that decides who is a hospital.
    ITelehealthMembers public immutable consortium;
    /// @notice Registry whose grants sessions rely on.
    ITelehealthConsents public immutable consents;
    /// @notice Registry whose licences gate practitioners' joins (read by the nodes, not here).
    address public immutable licences;

    mapping(bytes32 sessionIdHash => Session) private _sessions;
    /// Role (1..3) of a standing invitation, keyed by keccak256(abi.encode(member, practitionerHash)).
    mapping(bytes32 sessionIdHash => mapping(bytes32 invitee => uint8)) private _invitations;

    /// @dev Requirements:
    /// - `consortium_`, `consents_` and `licences_` have code.
    constructor(address consortium_, address consents_, address licences_) {
        if (consortium_.code.length == 0) revert TelehealthRegistryInvalidConsortium(consortium_);
        if (consents_.code.length == 0) revert TelehealthRegistryInvalidConsentRegistry(consents_);
        if (licences_.code.length == 0) revert TelehealthRegistryInvalidLicenceRegistry(licences_);
        consortium = ITelehealthMembers(consortium_);
        consents = ITelehealthConsents(consents_);
        licences = licences_;
    }

    /// @notice Opens the session `sessionIdHash` hosted by the caller's member for the patient
    /// `patient` of `homeMember`, relying on the consent grant `consentGrantId`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role (the host);
    /// - `sessionIdHash` is non-zero and was never opened;
    /// - `homeMember` is an active member and `patient` is non-zero;
    /// - the grant exists, is `patient`'s, is to the host, includes TREAT, is not revoked, and
    ///   `notBefore <= block.timestamp < notAfter`.
    function openSession(bytes32 sessionIdHash, bytes32 homeMember, address patient, bytes32 consentGrantId) external {
        if (!consortium.hasRole(msg.sender, HOSPITAL)) revert TelehealthRegistryNotHospital(msg.sender);
        bytes32 host = consortium.memberOfSigner(msg.sender);
        if (sessionIdHash == bytes32(0)) revert TelehealthRegistryZeroSessionId();
        if (_sessions[sessionIdHash].openedAt != 0) revert TelehealthRegistrySessionExists(sessionIdHash);
        if (!_isActiveMember(homeMember)) revert TelehealthRegistryHomeNotMember(homeMember);
        if (patient == address(0)) revert TelehealthRegistryZeroPatient();
        _checkConsent(consentGrantId, patient, host);

        Session storage s = _sessions[sessionIdHash];
        s.hostMember = host;
        s.homeMember = homeMember;
        s.consentGrantId = consentGrantId;
        s.patient = patient;
        s.openedAt = uint64(block.timestamp);
        emit SessionOpened(sessionIdHash, host, homeMember, patient, consentGrantId);
    }

    /// @notice Invites the practitioner `practitionerHash` of `invitedMember` with `role`.
    /// @dev Requirements:
    /// - the session exists and is open, and the caller is a signer of its host;
    /// - `invitedMember` is an active member with the HOSPITAL role;
    /// - `practitionerHash` is non-zero and `role` is 1, 2 or 3;
    /// - the practitioner holds no standing invitation to the session.
    function invite(bytes32 sessionIdHash, bytes32 invitedMember, bytes32 practitionerHash, uint8 role) external {
        _openAsHost(sessionIdHash);
        if (!_isActiveHospital(invitedMember)) revert TelehealthRegistryInvitedNotHospital(invitedMember);
        if (practitionerHash == bytes32(0)) revert TelehealthRegistryZeroPractitioner();
        if (role == 0 || role > OBSERVER) revert TelehealthRegistryInvalidRole(role);
        bytes32 invitee = _invitee(invitedMember, practitionerHash);
        if (_invitations[sessionIdHash][invitee] != 0) {
            revert TelehealthRegistryAlreadyInvited(sessionIdHash, invitedMember, practitionerHash);
        }
        _invitations[sessionIdHash][invitee] = role;
        emit ParticipantInvited(sessionIdHash, invitedMember, practitionerHash, role);
    }

    /// @notice Withdraws the standing invitation of `practitionerHash` of `invitedMember`; the host's
    /// node ends their connection and refuses their next join.
    /// @dev Requirements:
    /// - the session exists and is open, and the caller is a signer of its host;
    /// - the practitioner holds a standing invitation to the session.
    function withdrawInvitation(bytes32 sessionIdHash, bytes32 invitedMember, bytes32 practitionerHash) external {
        _openAsHost(sessionIdHash);
        bytes32 invitee = _invitee(invitedMember, practitionerHash);
        if (_invitations[sessionIdHash][invitee] == 0) {
            revert TelehealthRegistryNotInvited(sessionIdHash, invitedMember, practitionerHash);
        }
        delete _invitations[sessionIdHash][invitee];
        emit InvitationWithdrawn(sessionIdHash, invitedMember, practitionerHash);
    }

    /// @notice Records that the session was escalated to emergency care with `severity`, for the
    /// reason whose salted hash is `reasonHash` (the text stays at the host).
    /// @dev Requirements:
    /// - the session exists and is open, and the caller is a signer of its host;
    /// - `severity` is 1 to 5 and `reasonHash` is non-zero.
    function escalate(bytes32 sessionIdHash, uint8 severity, bytes32 reasonHash) external {
        _openAsHost(sessionIdHash);
        if (severity == 0 || severity > MAX_SEVERITY) revert TelehealthRegistryInvalidSeverity(severity);
        if (reasonHash == bytes32(0)) revert TelehealthRegistryEmptyReason();
        emit SessionEscalated(sessionIdHash, severity, reasonHash);
    }

    /// @notice Closes the session with `finalState` and the Merkle root of its event log.
    /// @dev Requirements:
    /// - the session exists and is open, and the caller is a signer of its host;
    /// - `finalState` is 1 (completed), 2 (cancelled) or 3 (no-show);
    /// - `eventLogRoot` is non-zero.
    function closeSession(bytes32 sessionIdHash, uint8 finalState, bytes32 eventLogRoot) external {
        Session storage s = _openAsHost(sessionIdHash);
        if (finalState == 0 || finalState > NO_SHOW) revert TelehealthRegistryInvalidFinalState(finalState);
        if (eventLogRoot == bytes32(0)) revert TelehealthRegistryEmptyEventLog();
        s.closedAt = uint64(block.timestamp);
        s.finalState = finalState;
        s.eventLogRoot = eventLogRoot;
        emit SessionClosed(sessionIdHash, finalState, eventLogRoot);
    }

    /// @notice The session opened under `sessionIdHash`.
    /// @dev Requirements:
    /// - the session exists.
    function getSession(bytes32 sessionIdHash) external view returns (Session memory) {
        return _existing(sessionIdHash);
    }

    /// @notice Whether the practitioner `practitionerHash` of `invitedMember` holds a standing
    /// invitation to the session (false for an unknown session).
    function isInvited(bytes32 sessionIdHash, bytes32 invitedMember, bytes32 practitionerHash) external view returns (bool) {
        return _invitations[sessionIdHash][_invitee(invitedMember, practitionerHash)] != 0;
    }

    /// @notice The role (1..3) of the practitioner's standing invitation, 0 when there is none.
    function invitationRole(bytes32 sessionIdHash, bytes32 invitedMember, bytes32 practitionerHash) external view returns (uint8) {
        return _invitations[sessionIdHash][_invitee(invitedMember, practitionerHash)];
    }

    function _checkConsent(bytes32 grantId, address patient, bytes32 host) private view {
        IConsentRegistry.Grant memory g;
        try consents.getGrant(grantId) returns (IConsentRegistry.Grant memory found) {
            g = found;
        } catch {
            revert TelehealthRegistryConsentMissing(grantId);
        }
        if (g.patient != patient) revert TelehealthRegistryConsentForOtherPatient(grantId, g.patient, patient);
        if (g.granteeMember != host) revert TelehealthRegistryConsentForOtherMember(grantId, g.granteeMember, host);
        if (g.purposes & TREAT == 0) revert TelehealthRegistryConsentNotTreatment(grantId, g.purposes);
        if (g.revokedAt != 0) revert TelehealthRegistryConsentRevoked(grantId, g.revokedAt);
        if (block.timestamp < g.notBefore) revert TelehealthRegistryConsentNotYetValid(grantId, g.notBefore, uint64(block.timestamp));
        if (block.timestamp >= g.notAfter) revert TelehealthRegistryConsentExpired(grantId, g.notAfter, uint64(block.timestamp));
    }

    function _openAsHost(bytes32 sessionIdHash) private view returns (Session storage s) {
        s = _existing(sessionIdHash);
        if (s.closedAt != 0) revert TelehealthRegistrySessionClosed(sessionIdHash, s.closedAt);
        if (consortium.memberOfSigner(msg.sender) != s.hostMember || !consortium.hasRole(msg.sender, HOSPITAL)) {
            revert TelehealthRegistryNotHost(sessionIdHash, s.hostMember, msg.sender);
        }
    }

    function _existing(bytes32 sessionIdHash) private view returns (Session storage s) {
        s = _sessions[sessionIdHash];
        if (s.openedAt == 0) revert TelehealthRegistryUnknownSession(sessionIdHash);
    }

    function _invitee(bytes32 member, bytes32 practitionerHash) private pure returns (bytes32) {
        return keccak256(abi.encode(member, practitionerHash));
    }

    function _isActiveMember(bytes32 memberId) private view returns (bool) {
        try consortium.getMember(memberId) returns (IConsortiumRegistry.MemberView memory m) {
            return m.active;
        } catch {
            return false;
        }
    }

    function _isActiveHospital(bytes32 memberId) private view returns (bool) {
        try consortium.getMember(memberId) returns (IConsortiumRegistry.MemberView memory m) {
            return m.active && m.roles & HOSPITAL == HOSPITAL;
        } catch {
            return false;
        }
    }
}
