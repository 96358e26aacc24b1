// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Errors, events and views of the consortium membership registry.
/// @notice Members are organisations (hospitals, payers, researchers, licensing bodies), keyed by
/// `memberId = keccak256(bytes(orgId))`. Each member acts through one or more signer addresses; a
/// signer belongs to exactly one member, for ever, so a key that once spoke for one organisation can
/// never be re-registered to speak for another.
interface IConsortiumRegistry {
    /// @notice What a proposal changes once enough members approve it.
    enum ProposalKind {
        AddMember,
        RemoveMember,
        GrantRole,
        RevokeRole,
        AddSigner,
        RemoveSigner
    }

    struct MemberView {
        string orgId;
        uint8 roles;
        bool active;
        address[] signers;
    }

    struct ProposalView {
        ProposalKind kind;
        bytes32 memberId;
        string orgId;
        uint8 roles;
        address signer;
        bytes32 proposer;
        uint64 deadline;
        bool executed;
        bytes32[] approvers;
    }

    /// @dev The bootstrap arrays given to the constructor differ in length or are empty.
    error ConsortiumRegistryBootstrapMismatch(uint256 orgIds, uint256 roles, uint256 signers);
    /// @dev The voting period is zero.
    error ConsortiumRegistryInvalidVotingPeriod(uint64 votingPeriod);
    /// @dev `account` is not a signer of an active member.
    error ConsortiumRegistryNotMemberSigner(address account);
    /// @dev No member was ever registered under `memberId`.
    error ConsortiumRegistryUnknownMember(bytes32 memberId);
    /// @dev A member is already registered under `memberId` (removed members are not re-added).
    error ConsortiumRegistryMemberExists(bytes32 memberId);
    /// @dev The member `memberId` was removed and can no longer be changed.
    error ConsortiumRegistryMemberInactive(bytes32 memberId);
    /// @dev Removing `memberId` would leave the consortium with no active member.
    error ConsortiumRegistryLastActiveMember(bytes32 memberId);
    /// @dev The org id is empty.
    error ConsortiumRegistryEmptyOrgId();
    /// @dev `roles` is zero or has bits outside the known roles.
    error ConsortiumRegistryInvalidRoles(uint8 roles);
    /// @dev `role` is not exactly one known role bit.
    error ConsortiumRegistryInvalidRole(uint8 role);
    /// @dev `memberId` already holds `role`.
    error ConsortiumRegistryRoleAlreadyGranted(bytes32 memberId, uint8 role);
    /// @dev `memberId` does not hold `role`.
    error ConsortiumRegistryRoleNotGranted(bytes32 memberId, uint8 role);
    /// @dev `signer` is the zero address.
    error ConsortiumRegistryZeroSigner();
    /// @dev `signer` already belongs (or belonged) to `memberId`.
    error ConsortiumRegistrySignerTaken(address signer, bytes32 memberId);
    /// @dev `signer` is not a current signer of `memberId`.
    error ConsortiumRegistrySignerNotOfMember(bytes32 memberId, address signer);
    /// @dev Removing `signer` would leave `memberId` without any signer.
    error ConsortiumRegistryLastSigner(bytes32 memberId, address signer);
    /// @dev No proposal has id `proposalId`.
    error ConsortiumRegistryUnknownProposal(uint256 proposalId);
    /// @dev The proposal's voting window closed at `deadline`.
    error ConsortiumRegistryProposalExpired(uint256 proposalId, uint64 deadline);
    /// @dev The proposal was already executed.
    error ConsortiumRegistryProposalAlreadyExecuted(uint256 proposalId);
    /// @dev `memberId` already approved the proposal.
    error ConsortiumRegistryAlreadyApproved(uint256 proposalId, bytes32 memberId);
    /// @dev The proposal has `approvals` approvals from active members and needs `required`.
    error ConsortiumRegistryThresholdNotMet(uint256 proposalId, uint256 approvals, uint256 required);

    event MemberAdded(bytes32 indexed memberId, string orgId, uint8 roles);
    event MemberRemoved(bytes32 indexed memberId);
    event RoleGranted(bytes32 indexed memberId, uint8 role);
    event RoleRevoked(bytes32 indexed memberId, uint8 role);
    event SignerAdded(bytes32 indexed memberId, address indexed signer);
    event SignerRemoved(bytes32 indexed memberId, address indexed signer);
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind kind,
        bytes32 indexed memberId,
        bytes32 indexed proposer,
        uint64 deadline
    );
    event ProposalApproved(uint256 indexed proposalId, bytes32 indexed approver, uint256 approvals);
    event ProposalExecuted(uint256 indexed proposalId);

    /// @notice The member `signer` acts for, or zero when it acts for none. Removed members' signers
    /// still map to them: check `active` (or use `hasRole`) before trusting a signer.
    function memberOfSigner(address signer) external view returns (bytes32);

    /// @notice Whether `signer` belongs to an active member that holds every bit of `role`.
    function hasRole(address signer, uint8 role) external view returns (bool);
}
