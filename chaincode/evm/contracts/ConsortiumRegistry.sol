// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @title Consortium membership, changed only by a vote of the members.
/// @notice There is no admin. Any signer of an active member proposes a change; the proposer's
/// member approves it implicitly; other members approve with one vote per member (not per
/// signer, so a member cannot outvote others by registering more keys). A proposal executes in the
/// transaction that brings it to a strict majority of the members active at that moment:
/// `requiredApprovals() = activeMemberCount() / 2 + 1`, counting only approvals of members that are
/// still active. Computing it at execution time means removing a member never leaves a proposal
/// executable by a quorum that no longer exists. Proposals expire `votingPeriod` seconds after
/// creation. A proposal is re-validated when it executes; if the registry changed meanwhile so that
/// it no longer applies, the approving transaction reverts with the reason and the proposal lapses.
contract ConsortiumRegistry is IConsortiumRegistry {
    uint8 public constant HOSPITAL = 1;
    uint8 public constant PAYER = 2;
    uint8 public constant RESEARCHER = 4;
    uint8 public constant LICENSING = 8;
    uint8 public constant EMERGENCY = 16;
    uint8 private constant ALL_ROLES = 31;

    struct Member {
        string orgId;
        uint8 roles;
        bool active;
        address[] signers;
    }

    struct Proposal {
        ProposalKind kind;
        uint8 roles;
        uint64 deadline;
        bool executed;
        address signer;
        bytes32 memberId;
        bytes32 proposer;
        string orgId;
        bytes32[] approvers;
    }

    /// @notice Seconds a proposal stays open for approvals.
    uint64 public immutable votingPeriod;

    mapping(bytes32 memberId => Member) private _members;
    bytes32[] private _memberIds;
    uint256 private _activeMembers;

    /// Owner of a signer since it was first registered; never cleared so a key cannot change sides.
    mapping(address signer => bytes32 memberId) private _signerOwner;
    mapping(address signer => bool) private _signerRemoved;

    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(bytes32 memberId => bool)) private _approved;
    uint256 private _proposalCount;

    /// @notice Registers the founding members, each with one signer.
    /// @dev Requirements:
    /// - the three arrays are non-empty and of equal length;
    /// - every org id is non-empty and distinct, every roles value is a non-zero set of known roles;
    /// - every signer is non-zero and distinct;
    /// - `votingPeriod_` is non-zero.
    constructor(string[] memory orgIds, uint8[] memory roles, address[] memory signers, uint64 votingPeriod_) {
        if (orgIds.length == 0 || orgIds.length != roles.length || orgIds.length != signers.length) {
            revert ConsortiumRegistryBootstrapMismatch(orgIds.length, roles.length, signers.length);
        }
        if (votingPeriod_ == 0) revert ConsortiumRegistryInvalidVotingPeriod(votingPeriod_);
        votingPeriod = votingPeriod_;
        for (uint256 i = 0; i < orgIds.length; i++) {
            bytes32 memberId = keccak256(bytes(orgIds[i]));
            _checkAddMember(memberId, orgIds[i], roles[i], signers[i]);
            _addMember(memberId, orgIds[i], roles[i], signers[i]);
        }
    }

    /// @notice Proposes registering a new member `orgId` with `roles` and its first `signer`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member;
    /// - `orgId` is non-empty and no member was ever registered under `keccak256(bytes(orgId))`;
    /// - `roles` is a non-zero set of known roles;
    /// - `signer` is non-zero and was never registered.
    /// @return proposalId the id of the new proposal (also in `ProposalCreated`).
    function proposeAddMember(string calldata orgId, uint8 roles, address signer) external returns (uint256) {
        bytes32 memberId = keccak256(bytes(orgId));
        _checkAddMember(memberId, orgId, roles, signer);
        return _propose(ProposalKind.AddMember, memberId, orgId, roles, signer);
    }

    /// @notice Proposes removing (deactivating) member `memberId`. Its record and signers stay for audit.
    /// @dev Requirements:
    /// - the caller is a signer of an active member;
    /// - `memberId` is an active member and not the last one.
    /// @return proposalId the id of the new proposal.
    function proposeRemoveMember(bytes32 memberId) external returns (uint256) {
        _checkRemoveMember(memberId);
        return _propose(ProposalKind.RemoveMember, memberId, "", 0, address(0));
    }

    /// @notice Proposes granting `role` to `memberId`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member;
    /// - `memberId` is an active member;
    /// - `role` is exactly one known role and `memberId` does not hold it.
    /// @return proposalId the id of the new proposal.
    function proposeGrantRole(bytes32 memberId, uint8 role) external returns (uint256) {
        _checkGrantRole(memberId, role);
        return _propose(ProposalKind.GrantRole, memberId, "", role, address(0));
    }

    /// @notice Proposes revoking `role` from `memberId`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member;
    /// - `memberId` is an active member;
    /// - `role` is exactly one known role and `memberId` holds it.
    /// @return proposalId the id of the new proposal.
    function proposeRevokeRole(bytes32 memberId, uint8 role) external returns (uint256) {
        _checkRevokeRole(memberId, role);
        return _propose(ProposalKind.RevokeRole, memberId, "", role, address(0));
    }

    /// @notice Proposes adding `signer` as a key of `memberId`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member;
    /// - `memberId` is an active member;
    /// - `signer` is non-zero and was never registered.
    /// @return proposalId the id of the new proposal.
    function proposeAddSigner(bytes32 memberId, address signer) external returns (uint256) {
        _checkAddSigner(memberId, signer);
        return _propose(ProposalKind.AddSigner, memberId, "", 0, signer);
    }

    /// @notice Proposes removing `signer` from `memberId`. A removed signer is never registered again.
    /// @dev Requirements:
    /// - the caller is a signer of an active member;
    /// - `memberId` is an active member and `signer` is one of its current signers, not its last.
    /// @return proposalId the id of the new proposal.
    function proposeRemoveSigner(bytes32 memberId, address signer) external returns (uint256) {
        _checkRemoveSigner(memberId, signer);
        return _propose(ProposalKind.RemoveSigner, memberId, "", 0, signer);
    }

    /// @notice Approves `proposalId` for the caller's member, executing it if this reaches the threshold.
    /// @dev Requirements:
    /// - the caller is a signer of an active member that has not approved this proposal yet;
    /// - the proposal exists, is not executed and its deadline has not passed;
    /// - if this approval reaches the threshold, the change is still valid (see the propose functions).
    function approve(uint256 proposalId) external {
        bytes32 approver = _activeMemberOf(msg.sender);
        Proposal storage p = _openProposal(proposalId);
        _approve(proposalId, p, approver);
    }

    /// @notice Executes `proposalId` when it already has enough approvals, e.g. after removed members
    /// lowered the threshold.
    /// @dev Requirements:
    /// - the caller is a signer of an active member;
    /// - the proposal exists, is not executed and its deadline has not passed;
    /// - approvals of active members reach `requiredApprovals()`;
    /// - the change is still valid.
    function execute(uint256 proposalId) external {
        _activeMemberOf(msg.sender);
        Proposal storage p = _openProposal(proposalId);
        uint256 approvals = _activeApprovals(p);
        uint256 required = requiredApprovals();
        if (approvals < required) revert ConsortiumRegistryThresholdNotMet(proposalId, approvals, required);
        _execute(proposalId, p);
    }

    /// @inheritdoc IConsortiumRegistry
    function memberOfSigner(address signer) public view returns (bytes32) {
        return _signerRemoved[signer] ? bytes32(0) : _signerOwner[signer];
    }

    /// @inheritdoc IConsortiumRegistry
    function hasRole(address signer, uint8 role) external view returns (bool) {
        bytes32 memberId = memberOfSigner(signer);
        if (memberId == bytes32(0)) return false;
        Member storage m = _members[memberId];
        return role != 0 && m.active && (m.roles & role) == role;
    }

    /// @notice The member registered under `memberId`, active or removed.
    /// @dev Requirements:
    /// - a member was registered under `memberId`.
    function getMember(bytes32 memberId) external view returns (MemberView memory) {
        Member storage m = _members[memberId];
        if (bytes(m.orgId).length == 0) revert ConsortiumRegistryUnknownMember(memberId);
        return MemberView({orgId: m.orgId, roles: m.roles, active: m.active, signers: m.signers});
    }

    /// @notice Number of members ever registered, removed ones included.
    function memberCount() external view returns (uint256) {
        return _memberIds.length;
    }

    /// @notice Number of members currently active.
    function activeMemberCount() external view returns (uint256) {
        return _activeMembers;
    }

    /// @notice The id of the `index`-th registered member, in registration order.
    /// @dev Requirements:
    /// - `index < memberCount()` (else the array access panics).
    function memberIdAt(uint256 index) external view returns (bytes32) {
        return _memberIds[index];
    }

    /// @notice Approvals a proposal needs right now: a strict majority of active members.
    function requiredApprovals() public view returns (uint256) {
        return _activeMembers / 2 + 1;
    }

    /// @notice Number of proposals created; ids run from 1 to this value.
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @notice The proposal `proposalId`.
    /// @dev Requirements:
    /// - the proposal exists.
    function getProposal(uint256 proposalId) external view returns (ProposalView memory) {
        Proposal storage p = _existingProposal(proposalId);
        return ProposalView({
            kind: p.kind,
            memberId: p.memberId,
            orgId: p.orgId,
            roles: p.roles,
            signer: p.signer,
            proposer: p.proposer,
            deadline: p.deadline,
            executed: p.executed,
            approvers: p.approvers
        });
    }

    /// @notice Whether `memberId` approved `proposalId`.
    function hasApproved(uint256 proposalId, bytes32 memberId) external view returns (bool) {
        return _approved[proposalId][memberId];
    }

    function _propose(ProposalKind kind, bytes32 memberId, string memory orgId, uint8 roles, address signer)
        private
        returns (uint256 proposalId)
    {
        bytes32 proposer = _activeMemberOf(msg.sender);
        proposalId = ++_proposalCount;
        Proposal storage p = _proposals[proposalId];
        p.kind = kind;
        p.memberId = memberId;
        p.orgId = orgId;
        p.roles = roles;
        p.signer = signer;
        p.proposer = proposer;
        p.deadline = uint64(block.timestamp) + votingPeriod;
        emit ProposalCreated(proposalId, kind, memberId, proposer, p.deadline);
        _approve(proposalId, p, proposer);
    }

    function _approve(uint256 proposalId, Proposal storage p, bytes32 approver) private {
        if (_approved[proposalId][approver]) revert ConsortiumRegistryAlreadyApproved(proposalId, approver);
        _approved[proposalId][approver] = true;
        p.approvers.push(approver);
        uint256 approvals = _activeApprovals(p);
        emit ProposalApproved(proposalId, approver, approvals);
        if (approvals >= requiredApprovals()) _execute(proposalId, p);
    }

    function _execute(uint256 proposalId, Proposal storage p) private {
        p.executed = true;
        ProposalKind kind = p.kind;
        if (kind == ProposalKind.AddMember) {
            _checkAddMember(p.memberId, p.orgId, p.roles, p.signer);
            _addMember(p.memberId, p.orgId, p.roles, p.signer);
        } else if (kind == ProposalKind.RemoveMember) {
            _checkRemoveMember(p.memberId);
            _members[p.memberId].active = false;
            _activeMembers--;
            emit MemberRemoved(p.memberId);
        } else if (kind == ProposalKind.GrantRole) {
            _checkGrantRole(p.memberId, p.roles);
            _members[p.memberId].roles |= p.roles;
            emit RoleGranted(p.memberId, p.roles);
        } else if (kind == ProposalKind.RevokeRole) {
            _checkRevokeRole(p.memberId, p.roles);
            _members[p.memberId].roles &= ~p.roles;
            emit RoleRevoked(p.memberId, p.roles);
        } else if (kind == ProposalKind.AddSigner) {
            _checkAddSigner(p.memberId, p.signer);
            _addSigner(p.memberId, p.signer);
        } else {
            _checkRemoveSigner(p.memberId, p.signer);
            _removeSigner(p.memberId, p.signer);
        }
        emit ProposalExecuted(proposalId);
    }

    function _addMember(bytes32 memberId, string memory orgId, uint8 roles, address signer) private {
        Member storage m = _members[memberId];
        m.orgId = orgId;
        m.roles = roles;
        m.active = true;
        _memberIds.push(memberId);
        _activeMembers++;
        emit MemberAdded(memberId, orgId, roles);
        _addSigner(memberId, signer);
    }

    function _addSigner(bytes32 memberId, address signer) private {
        _members[memberId].signers.push(signer);
        _signerOwner[signer] = memberId;
        emit SignerAdded(memberId, signer);
    }

    function _removeSigner(bytes32 memberId, address signer) private {
        address[] storage signers = _members[memberId].signers;
        for (uint256 i = 0; i < signers.length; i++) {
            if (signers[i] == signer) {
                signers[i] = signers[signers.length - 1];
                signers.pop();
                break;
            }
        }
        _signerRemoved[signer] = true;
        emit SignerRemoved(memberId, signer);
    }

    function _activeApprovals(Proposal storage p) private view returns (uint256 count) {
        for (uint256 i = 0; i < p.approvers.length; i++) {
            if (_members[p.approvers[i]].active) count++;
        }
    }

    function _activeMemberOf(address account) private view returns (bytes32 memberId) {
        memberId = memberOfSigner(account);
        if (memberId == bytes32(0) || !_members[memberId].active) revert ConsortiumRegistryNotMemberSigner(account);
    }

    function _existingProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.deadline == 0) revert ConsortiumRegistryUnknownProposal(proposalId);
    }

    function _openProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _existingProposal(proposalId);
        if (p.executed) revert ConsortiumRegistryProposalAlreadyExecuted(proposalId);
        if (block.timestamp > p.deadline) revert ConsortiumRegistryProposalExpired(proposalId, p.deadline);
    }

    function _activeMember(bytes32 memberId) private view returns (Member storage m) {
        m = _members[memberId];
        if (bytes(m.orgId).length == 0) revert ConsortiumRegistryUnknownMember(memberId);
        if (!m.active) revert ConsortiumRegistryMemberInactive(memberId);
    }

    function _checkAddMember(bytes32 memberId, string memory orgId, uint8 roles, address signer) private view {
        if (bytes(orgId).length == 0) revert ConsortiumRegistryEmptyOrgId();
        if (bytes(_members[memberId].orgId).length != 0) revert ConsortiumRegistryMemberExists(memberId);
        if (roles == 0 || roles & ~ALL_ROLES != 0) revert ConsortiumRegistryInvalidRoles(roles);
        _checkNewSigner(signer);
    }

    function _checkRemoveMember(bytes32 memberId) private view {
        _activeMember(memberId);
        if (_activeMembers == 1) revert ConsortiumRegistryLastActiveMember(memberId);
    }

    function _checkGrantRole(bytes32 memberId, uint8 role) private view {
        Member storage m = _activeMember(memberId);
        _checkSingleRole(role);
        if (m.roles & role != 0) revert ConsortiumRegistryRoleAlreadyGranted(memberId, role);
    }

    function _checkRevokeRole(bytes32 memberId, uint8 role) private view {
        Member storage m = _activeMember(memberId);
        _checkSingleRole(role);
        if (m.roles & role == 0) revert ConsortiumRegistryRoleNotGranted(memberId, role);
    }

    function _checkAddSigner(bytes32 memberId, address signer) private view {
        _activeMember(memberId);
        _checkNewSigner(signer);
    }

    function _checkRemoveSigner(bytes32 memberId, address signer) private view {
        Member storage m = _activeMember(memberId);
        if (memberOfSigner(signer) != memberId) revert ConsortiumRegistrySignerNotOfMember(memberId, signer);
        if (m.signers.length == 1) revert ConsortiumRegistryLastSigner(memberId, signer);
    }

    function _checkSingleRole(uint8 role) private pure {
        if (role == 0 || role & (role - 1) != 0 || role & ~ALL_ROLES != 0) {
            revert ConsortiumRegistryInvalidRole(role);
        }
    }

    function _checkNewSigner(address signer) private view {
        if (signer == address(0)) revert ConsortiumRegistryZeroSigner();
        bytes32 owner = _signerOwner[signer];
        if (owner != bytes32(0)) revert ConsortiumRegistrySignerTaken(signer, owner);
    }
}
