// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Errors, events and record types of the telehealth session registry.
/// @notice A session is known on chain only by the keccak256 of its opaque random id; practitioners
/// by a hash of (member, practitioner id); the patient by the pseudonymous address of their consent
/// grants; reasons by salted hashes. The clinical record (Appointment, Encounter, notes) stays in
/// the host's vault and is anchored like every resource.
interface ITelehealthRegistry {
    /// @notice A session as recorded. Roles of invitations: 1 specialist, 2 second opinion,
    /// 3 observer. Final states: 1 completed, 2 cancelled, 3 no-show.
    struct Session {
        /// The provider's hospital, which opened the session and alone changes it.
        bytes32 hostMember;
        /// The patient's home hospital.
        bytes32 homeMember;
        /// The consent grant (patient -> host, TREAT) the session relies on.
        bytes32 consentGrantId;
        address patient;
        uint64 openedAt;
        /// Zero while the session is open.
        uint64 closedAt;
        uint8 finalState;
        /// Merkle root of the session's event log, set at close.
        bytes32 eventLogRoot;
    }

    /// @dev The consortium registry address given to the constructor has no code.
    error TelehealthRegistryInvalidConsortium(address consortium);
    /// @dev The consent registry address given to the constructor has no code.
    error TelehealthRegistryInvalidConsentRegistry(address consentRegistry);
    /// @dev The licence registry address given to the constructor has no code.
    error TelehealthRegistryInvalidLicenceRegistry(address licenceRegistry);
    /// @dev `account` is not a signer of an active member holding the HOSPITAL role.
    error TelehealthRegistryNotHospital(address account);
    /// @dev The session id hash is zero.
    error TelehealthRegistryZeroSessionId();
    /// @dev A session was already opened under `sessionIdHash` (ids are never reused).
    error TelehealthRegistrySessionExists(bytes32 sessionIdHash);
    /// @dev No session was opened under `sessionIdHash`.
    error TelehealthRegistryUnknownSession(bytes32 sessionIdHash);
    /// @dev The session was closed at `closedAt` and no longer changes.
    error TelehealthRegistrySessionClosed(bytes32 sessionIdHash, uint64 closedAt);
    /// @dev `account` is not a signer of `hostMember`, the member that opened the session.
    error TelehealthRegistryNotHost(bytes32 sessionIdHash, bytes32 hostMember, address account);
    /// @dev The patient's home member `memberId` is not an active consortium member.
    error TelehealthRegistryHomeNotMember(bytes32 memberId);
    /// @dev The patient address is zero.
    error TelehealthRegistryZeroPatient();
    /// @dev No consent grant was recorded under `grantId`.
    error TelehealthRegistryConsentMissing(bytes32 grantId);
    /// @dev The grant is `grantPatient`'s, not the session's `patient`'s.
    error TelehealthRegistryConsentForOtherPatient(bytes32 grantId, address grantPatient, address patient);
    /// @dev The grant is to `granteeMember`, not to the host `hostMember`.
    error TelehealthRegistryConsentForOtherMember(bytes32 grantId, bytes32 granteeMember, bytes32 hostMember);
    /// @dev The grant's purposes do not include treatment (TREAT, bit 1).
    error TelehealthRegistryConsentNotTreatment(bytes32 grantId, uint8 purposes);
    /// @dev The grant was revoked at `revokedAt`.
    error TelehealthRegistryConsentRevoked(bytes32 grantId, uint64 revokedAt);
    /// @dev The grant ended at `notAfter`, at or before block time `now_`.
    error TelehealthRegistryConsentExpired(bytes32 grantId, uint64 notAfter, uint64 now_);
    /// @dev The grant only starts at `notBefore`, after block time `now_`.
    error TelehealthRegistryConsentNotYetValid(bytes32 grantId, uint64 notBefore, uint64 now_);
    /// @dev The invited member `memberId` is not an active member holding the HOSPITAL role.
    error TelehealthRegistryInvitedNotHospital(bytes32 memberId);
    /// @dev The practitioner hash is zero.
    error TelehealthRegistryZeroPractitioner();
    /// @dev `role` is not 1 (specialist), 2 (second opinion) or 3 (observer).
    error TelehealthRegistryInvalidRole(uint8 role);
    /// @dev (`memberId`, `practitionerHash`) already holds a standing invitation to the session.
    error TelehealthRegistryAlreadyInvited(bytes32 sessionIdHash, bytes32 memberId, bytes32 practitionerHash);
    /// @dev (`memberId`, `practitionerHash`) holds no standing invitation to the session.
    error TelehealthRegistryNotInvited(bytes32 sessionIdHash, bytes32 memberId, bytes32 practitionerHash);
    /// @dev `severity` is not 1 (lowest) to 5 (highest).
    error TelehealthRegistryInvalidSeverity(uint8 severity);
    /// @dev The escalation reason hash is zero: a reason must be stated.
    error TelehealthRegistryEmptyReason();
    /// @dev `finalState` is not 1 (completed), 2 (cancelled) or 3 (no-show).
    error TelehealthRegistryInvalidFinalState(uint8 finalState);
    /// @dev The event log root is zero: a closed session always has a log (at least its opening).
    error TelehealthRegistryEmptyEventLog();

    event SessionOpened(
        bytes32 indexed sessionIdHash,
        bytes32 indexed hostMember,
        bytes32 indexed homeMember,
        address patient,
        bytes32 consentGrantId
    );
    event ParticipantInvited(
        bytes32 indexed sessionIdHash,
        bytes32 indexed invitedMember,
        bytes32 practitionerHash,
        uint8 role
    );
    event InvitationWithdrawn(bytes32 indexed sessionIdHash, bytes32 indexed invitedMember, bytes32 practitionerHash);
    event SessionEscalated(bytes32 indexed sessionIdHash, uint8 severity, bytes32 reasonHash);
    event SessionClosed(bytes32 indexed sessionIdHash, uint8 finalState, bytes32 eventLogRoot);
}
