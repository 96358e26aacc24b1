// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ICohortRegistry} from "./ICohortRegistry.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @dev The membership views this registry reads; `getMember` is on ConsortiumRegistry but not in
/// its interface.
interface ICohortConsortium {
    function hasRole(address signer, uint8 role) external view returns (bool);
    function memberOfSigner(address signer) external view returns (bytes32);
    function getMember(bytes32 memberId) external view returns (IConsortiumRegistry.MemberView memory);
}

/// @dev The verifier contracts snarkjs generates, all with four public signals here.
interface IGroth16Verifier {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) external view returns (bool);
}

/// @title Zero-knowledge cohort queries and trial eligibility among consortium members.
/// @notice Hospitals commit their patient feature records per epoch (a 16-ary Poseidon Merkle
/// root plus its chunk roots); researchers post queries; each hospital answers once per query
/// with one cohort_count proof per chunk of 16 records and one threshold_release proof, all
/// verified here (in one transaction, or for large hospitals in batches of chunks and then the
/// release), so an AnswerPosted event is itself the audit record of a verified answer.
/// The contract checks that the proofs cover exactly the chunks the hospital committed (their
/// keccak chain), carry the query's criteria hash, and that the release proof opens the sum of
/// the chunk commitments under the query's minimum cell size. Rebuilding the Poseidon root from
/// the chunk roots needs 17-input Poseidon, whose ~1,600 round constants do not fit a contract
/// under the 24 KB code size limit; so it is left to off-chain auditors, who get the chunk roots
/// from RecordsCommitted and the proofs from the calldata of the answer's transactions (see docs/zk.md).
contract CohortRegistry is ICohortRegistry {
    uint8 private constant HOSPITAL = 1;
    uint8 private constant RESEARCHER = 4;
    uint256 private constant CHUNK_SIZE = 16;
    /// BN254 scalar field: every public signal, and Baby Jubjub's base field.
    uint256 private constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// Baby Jubjub in twisted Edwards form a·x² + y² = 1 + d·x²·y² (circomlib's parameters).
    uint256 private constant BABYJUB_A = 168700;
    uint256 private constant BABYJUB_D = 168696;

    ICohortConsortium public immutable consortium;
    IGroth16Verifier public immutable countVerifier;
    IGroth16Verifier public immutable releaseVerifier;
    IGroth16Verifier public immutable eligibilityVerifier;
    /// @notice SHA-256 of the agreed feature schema (gateway/cohort/feature-schema.ts).
    bytes32 public immutable featureSchemaHash;
    /// @notice Consortium policy: no query may release counts below this many patients.
    uint32 public immutable minCellSizeFloor;

    uint256 public queryCount;
    mapping(bytes32 member => uint64) private _latestEpoch;
    mapping(bytes32 member => mapping(uint64 epoch => Commitment)) private _commitments;
    mapping(uint256 root => bool) private _committedRoots;
    mapping(uint256 queryId => Query) private _queries;
    mapping(uint256 queryId => mapping(bytes32 member => Answer)) private _answers;
    mapping(uint256 queryId => mapping(bytes32 member => AnswerProgress)) private _progress;
    mapping(uint256 scopeId => Trial) private _trials;
    mapping(uint256 scopeId => mapping(uint256 nullifier => bool)) private _spent;

    /// @dev Requirements:
    /// - `consortium_` and the three verifiers have code;
    /// - `minCellSizeFloor_` is at least 1.
    constructor(
        address consortium_,
        address countVerifier_,
        address releaseVerifier_,
        address eligibilityVerifier_,
        bytes32 featureSchemaHash_,
        uint32 minCellSizeFloor_
    ) {
        if (consortium_.code.length == 0) revert CohortRegistryInvalidConsortium(consortium_);
        if (countVerifier_.code.length == 0) revert CohortRegistryInvalidVerifier(countVerifier_);
        if (releaseVerifier_.code.length == 0) revert CohortRegistryInvalidVerifier(releaseVerifier_);
        if (eligibilityVerifier_.code.length == 0) revert CohortRegistryInvalidVerifier(eligibilityVerifier_);
        if (minCellSizeFloor_ == 0) revert CohortRegistryInvalidCellSizeFloor(minCellSizeFloor_);
        consortium = ICohortConsortium(consortium_);
        countVerifier = IGroth16Verifier(countVerifier_);
        releaseVerifier = IGroth16Verifier(releaseVerifier_);
        eligibilityVerifier = IGroth16Verifier(eligibilityVerifier_);
        featureSchemaHash = featureSchemaHash_;
        minCellSizeFloor = minCellSizeFloor_;
    }

    /// @notice Commits the caller's feature records for `epoch`.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - `epoch` is above the member's latest epoch;
    /// - `root` is a non-zero field element;
    /// - `chunkRoots` has one root per 16 records (ceil(recordCount / 16)).
    function commitRecords(uint64 epoch, uint256 root, uint64 recordCount, uint256[] calldata chunkRoots) external {
        if (!consortium.hasRole(msg.sender, HOSPITAL)) revert CohortRegistryNotHospital(msg.sender);
        bytes32 member = consortium.memberOfSigner(msg.sender);
        uint64 latest = _latestEpoch[member];
        if (epoch <= latest) revert CohortRegistryEpochNotIncreasing(member, latest, epoch);
        _requireFieldElement(root);
        uint256 expectedChunks = (uint256(recordCount) + CHUNK_SIZE - 1) / CHUNK_SIZE;
        if (chunkRoots.length != expectedChunks) revert CohortRegistryChunkCountMismatch(recordCount, expectedChunks, chunkRoots.length);

        bytes32 digest;
        for (uint256 i = 0; i < chunkRoots.length; i++) digest = keccak256(abi.encodePacked(digest, chunkRoots[i]));
        _latestEpoch[member] = epoch;
        _commitments[member][epoch] = Commitment({
            root: root,
            recordCount: recordCount,
            chunkCount: uint64(chunkRoots.length),
            chunkRootsDigest: digest,
            committedAt: uint64(block.timestamp)
        });
        _committedRoots[root] = true;
        emit RecordsCommitted(member, epoch, root, recordCount, chunkRoots);
    }

    /// @notice Posts a cohort query to every hospital of the consortium.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the RESEARCHER role;
    /// - `criteriaHash` is a non-zero field element;
    /// - `minCellSize` is at least the consortium's floor;
    /// - `deadline` is after the block time.
    /// @return queryId sequential, from 1.
    function postQuery(uint256 criteriaHash, uint32 minCellSize, uint64 deadline, string calldata criteria)
        external
        returns (uint256 queryId)
    {
        if (!consortium.hasRole(msg.sender, RESEARCHER)) revert CohortRegistryNotResearcher(msg.sender);
        _requireFieldElement(criteriaHash);
        if (minCellSize < minCellSizeFloor) revert CohortRegistryCellSizeTooSmall(minCellSize, minCellSizeFloor);
        if (deadline <= block.timestamp) revert CohortRegistryInvalidDeadline(deadline, uint64(block.timestamp));
        bytes32 researcher = consortium.memberOfSigner(msg.sender);
        queryId = ++queryCount;
        _queries[queryId] = Query({
            researcher: researcher,
            criteriaHash: criteriaHash,
            minCellSize: minCellSize,
            deadline: deadline,
            postedAt: uint64(block.timestamp),
            answers: 0
        });
        emit QueryPosted(queryId, researcher, criteriaHash, minCellSize, deadline, criteria);
    }

    /// @notice Posts the caller's verified answer to `queryId` over its records of `epoch`, in one
    /// transaction (~223k gas per chunk: up to ~130 chunks under a 30M block gas limit; larger
    /// answers use postAnswerChunks and finishAnswer). A partial answer left by postAnswerChunks,
    /// if any, is superseded.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - the query exists, its deadline has not passed and the member has not answered it;
    /// - the member committed `epoch`, and `chunks` are proofs over exactly its chunk roots, in order;
    /// - every chunk proof carries the query's criteria hash and verifies (cohort_count);
    /// - the release proof opens the sum of the chunk commitments, uses the query's minimum cell
    ///   size, and verifies (threshold_release).
    function postAnswer(uint256 queryId, uint64 epoch, Proof[] calldata chunks, Proof calldata release) external {
        (bytes32 member, Query storage query) = _openQuery(queryId);
        Commitment storage commitment = _committed(member, epoch);
        if (chunks.length != commitment.chunkCount) revert CohortRegistryChunkProofCount(commitment.chunkCount, chunks.length);
        (bytes32 digest, uint256 aggregateX, uint256 aggregateY) = _checkChunks(query.criteriaHash, chunks, 0, 0, 0, 1);
        if (digest != commitment.chunkRootsDigest) revert CohortRegistryChunkRootsMismatch(member, epoch);
        _release(queryId, member, query, epoch, aggregateX, aggregateY, release);
    }

    /// @notice Posts chunk proofs `firstIndex` .. `firstIndex + chunks.length - 1` of the caller's
    /// answer to `queryId` over its records of `epoch`; finishAnswer completes the answer. For
    /// answers too large for one transaction: each call verifies its chunks and accumulates, in
    /// storage, the keccak chain over their roots and the sum of their count commitments. A call
    /// that reverts (a proof fails, out of gas) stores nothing: the same batch, or a smaller one,
    /// is posted again from the same index. A partial answer cannot be restarted or moved to
    /// another epoch; it is completed, or it expires with the query.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - the query exists, its deadline has not passed and the member has not answered it;
    /// - the member committed `epoch`, and the chunks posted before (if any) are of that epoch;
    /// - `firstIndex` is the number of chunks the member posted so far for this query;
    /// - `chunks` is not empty, and the epoch's commitment has at least `firstIndex + chunks.length` chunks;
    /// - every chunk proof carries the query's criteria hash and verifies (cohort_count).
    function postAnswerChunks(uint256 queryId, uint64 epoch, uint64 firstIndex, Proof[] calldata chunks) external {
        (bytes32 member, Query storage query) = _openQuery(queryId);
        Commitment storage commitment = _committed(member, epoch);
        AnswerProgress storage progress = _progress[queryId][member];
        uint64 posted = progress.nextIndex;
        if (posted != 0 && progress.epoch != epoch) revert CohortRegistryAnswerEpochMismatch(queryId, member, progress.epoch, epoch);
        if (firstIndex != posted) revert CohortRegistryChunkIndexMismatch(queryId, member, posted, firstIndex);
        uint256 end = uint256(firstIndex) + chunks.length;
        // An empty batch would emit an event without fixing the answer's epoch, muddling the audit trail.
        if (chunks.length == 0 || end > commitment.chunkCount) revert CohortRegistryChunkProofCount(commitment.chunkCount, end);

        _accumulate(progress, query.criteriaHash, chunks, firstIndex, epoch);
        emit AnswerChunksPosted(queryId, member, epoch, firstIndex, uint64(chunks.length));
    }

    /// @notice Completes the caller's answer to `queryId` whose chunks postAnswerChunks posted,
    /// with the release proof; the same AnswerPosted as postAnswer.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the HOSPITAL role;
    /// - the query exists, its deadline has not passed and the member has not answered it;
    /// - every chunk of the epoch's commitment was posted, and their roots are exactly its chunk
    ///   roots, in order;
    /// - the release proof opens the sum of the chunk commitments, uses the query's minimum cell
    ///   size, and verifies (threshold_release).
    function finishAnswer(uint256 queryId, Proof calldata release) external {
        (bytes32 member, Query storage query) = _openQuery(queryId);
        AnswerProgress memory progress = _progress[queryId][member];
        Commitment storage commitment = _commitments[member][progress.epoch];
        if (progress.nextIndex == 0 || progress.nextIndex != commitment.chunkCount) {
            revert CohortRegistryAnswerIncomplete(queryId, member, progress.nextIndex, commitment.chunkCount);
        }
        if (progress.chunkRootsDigest != commitment.chunkRootsDigest) revert CohortRegistryChunkRootsMismatch(member, progress.epoch);
        delete _progress[queryId][member];
        _release(queryId, member, query, progress.epoch, progress.aggregateX, progress.aggregateY, release);
    }

    /// @notice Registers a trial (the scope of its eligibility nullifiers) with its criteria hash.
    /// @dev Requirements:
    /// - the caller is a signer of an active member with the RESEARCHER or HOSPITAL role;
    /// - `scopeId` and `criteriaHash` are non-zero field elements;
    /// - no trial is registered under `scopeId`.
    function registerTrial(uint256 scopeId, uint256 criteriaHash) external {
        if (!consortium.hasRole(msg.sender, RESEARCHER) && !consortium.hasRole(msg.sender, HOSPITAL)) {
            revert CohortRegistryNotTrialRegistrar(msg.sender);
        }
        _requireFieldElement(scopeId);
        _requireFieldElement(criteriaHash);
        if (_trials[scopeId].criteriaHash != 0) revert CohortRegistryTrialExists(scopeId);
        bytes32 registeredBy = consortium.memberOfSigner(msg.sender);
        _trials[scopeId] = Trial({criteriaHash: criteriaHash, registeredBy: registeredBy});
        emit TrialRegistered(scopeId, registeredBy, criteriaHash);
    }

    /// @notice Verifies a patient's eligibility proof for a trial and spends its nullifier.
    /// @dev Requirements:
    /// - the caller is a signer of an active consortium member;
    /// - the trial named by the proof's scope id is registered, with the proof's criteria hash;
    /// - the proof's root is a root some hospital committed;
    /// - the nullifier was not spent in this trial;
    /// - the proof verifies (eligibility: [nullifier, root, criteriaHash, scopeId]).
    function acceptEligibility(Proof calldata proof) external {
        bytes32 acceptedBy = consortium.memberOfSigner(msg.sender);
        if (acceptedBy == bytes32(0) || !consortium.getMember(acceptedBy).active) revert CohortRegistryNotMember(msg.sender);
        uint256 nullifier = proof.signals[0];
        uint256 root = proof.signals[1];
        uint256 scopeId = proof.signals[3];
        Trial storage trial = _trials[scopeId];
        if (trial.criteriaHash == 0) revert CohortRegistryUnknownTrial(scopeId);
        if (proof.signals[2] != trial.criteriaHash) revert CohortRegistryCriteriaMismatch(trial.criteriaHash, proof.signals[2]);
        if (!_committedRoots[root]) revert CohortRegistryUnknownRoot(root);
        if (_spent[scopeId][nullifier]) revert CohortRegistryNullifierUsed(scopeId, nullifier);
        if (!eligibilityVerifier.verifyProof(proof.a, proof.b, proof.c, proof.signals)) revert CohortRegistryInvalidEligibilityProof();
        _spent[scopeId][nullifier] = true;
        emit EligibilityAccepted(scopeId, nullifier, root, acceptedBy);
    }

    function latestEpoch(bytes32 member) external view returns (uint64) {
        return _latestEpoch[member];
    }

    function getCommitment(bytes32 member, uint64 epoch) external view returns (Commitment memory) {
        return _commitments[member][epoch];
    }

    function isCommittedRoot(uint256 root) external view returns (bool) {
        return _committedRoots[root];
    }

    function getQuery(uint256 queryId) external view returns (Query memory) {
        return _queries[queryId];
    }

    function getAnswer(uint256 queryId, bytes32 member) external view returns (Answer memory) {
        return _answers[queryId][member];
    }

    /// @notice `member`'s answer to `queryId` under way in several transactions; zero when none is.
    function answerProgress(uint256 queryId, bytes32 member) external view returns (AnswerProgress memory) {
        return _progress[queryId][member];
    }

    function getTrial(uint256 scopeId) external view returns (Trial memory) {
        return _trials[scopeId];
    }

    function isNullifierSpent(uint256 scopeId, uint256 nullifier) external view returns (bool) {
        return _spent[scopeId][nullifier];
    }

    /// @dev The caller's member, and the query it may still answer.
    function _openQuery(uint256 queryId) private view returns (bytes32 member, Query storage query) {
        if (!consortium.hasRole(msg.sender, HOSPITAL)) revert CohortRegistryNotHospital(msg.sender);
        member = consortium.memberOfSigner(msg.sender);
        query = _queries[queryId];
        if (query.postedAt == 0) revert CohortRegistryUnknownQuery(queryId);
        if (block.timestamp > query.deadline) revert CohortRegistryQueryClosed(queryId, query.deadline);
        if (_answers[queryId][member].postedAt != 0) revert CohortRegistryAlreadyAnswered(queryId, member);
    }

    function _committed(bytes32 member, uint64 epoch) private view returns (Commitment storage commitment) {
        commitment = _commitments[member][epoch];
        if (commitment.committedAt == 0) revert CohortRegistryUnknownEpoch(member, epoch);
    }

    /// @dev Verifies chunk proofs `firstIndex` .. and extends the keccak chain over their roots and
    /// the sum (`x`, `y`) of their count commitments.
    /// chunk signals: [commitment.x, commitment.y, chunkRoot, criteriaHash]
    function _checkChunks(uint256 criteriaHash, Proof[] calldata chunks, uint256 firstIndex, bytes32 digest, uint256 x, uint256 y)
        private
        view
        returns (bytes32, uint256, uint256)
    {
        for (uint256 i = 0; i < chunks.length; i++) {
            Proof calldata chunk = chunks[i];
            if (chunk.signals[3] != criteriaHash) revert CohortRegistryCriteriaMismatch(criteriaHash, chunk.signals[3]);
            digest = keccak256(abi.encodePacked(digest, chunk.signals[2]));
            if (!countVerifier.verifyProof(chunk.a, chunk.b, chunk.c, chunk.signals)) revert CohortRegistryInvalidChunkProof(firstIndex + i);
            (x, y) = _addPoints(x, y, chunk.signals[0], chunk.signals[1]);
        }
        return (digest, x, y);
    }

    /// @dev Verifies a batch of chunks and extends `progress` with it.
    function _accumulate(AnswerProgress storage progress, uint256 criteriaHash, Proof[] calldata chunks, uint64 firstIndex, uint64 epoch) private {
        (bytes32 digest, uint256 x, uint256 y) = firstIndex == 0
            ? (bytes32(0), uint256(0), uint256(1))
            : (progress.chunkRootsDigest, progress.aggregateX, progress.aggregateY);
        (digest, x, y) = _checkChunks(criteriaHash, chunks, firstIndex, digest, x, y);
        progress.epoch = epoch;
        progress.nextIndex = firstIndex + uint64(chunks.length);
        progress.chunkRootsDigest = digest;
        progress.aggregateX = x;
        progress.aggregateY = y;
    }

    /// @dev The release checks shared by postAnswer and finishAnswer; records the answer.
    /// release signals: [releasedCount, aggregate.x, aggregate.y, minCellSize]
    function _release(
        uint256 queryId,
        bytes32 member,
        Query storage query,
        uint64 epoch,
        uint256 aggregateX,
        uint256 aggregateY,
        Proof calldata release
    ) private {
        if (release.signals[1] != aggregateX || release.signals[2] != aggregateY) {
            revert CohortRegistryAggregateMismatch(aggregateX, aggregateY, release.signals[1], release.signals[2]);
        }
        if (release.signals[3] != query.minCellSize) revert CohortRegistryMinCellSizeMismatch(query.minCellSize, release.signals[3]);
        if (!releaseVerifier.verifyProof(release.a, release.b, release.c, release.signals)) revert CohortRegistryInvalidReleaseProof();

        // The circuit range-checks the total to 24 bits, so the released count fits.
        uint64 released = uint64(release.signals[0]);
        bool below = released == 0;
        _answers[queryId][member] = Answer({epoch: epoch, releasedCount: released, belowMinimum: below, postedAt: uint64(block.timestamp)});
        query.answers += 1;
        emit AnswerPosted(queryId, member, epoch, released, below);
    }

    /// @dev Baby Jubjub addition (complete for points of the prime-order subgroup, which the
    /// cohort_count circuit outputs).
    function _addPoints(uint256 x1, uint256 y1, uint256 x2, uint256 y2) private view returns (uint256, uint256) {
        uint256 x1x2 = mulmod(x1, x2, FIELD);
        uint256 y1y2 = mulmod(y1, y2, FIELD);
        uint256 dxy = mulmod(BABYJUB_D, mulmod(x1x2, y1y2, FIELD), FIELD);
        uint256 xNum = addmod(mulmod(x1, y2, FIELD), mulmod(y1, x2, FIELD), FIELD);
        uint256 yNum = addmod(y1y2, FIELD - mulmod(BABYJUB_A, x1x2, FIELD), FIELD);
        uint256 x3 = mulmod(xNum, _inverse(addmod(1, dxy, FIELD)), FIELD);
        uint256 y3 = mulmod(yNum, _inverse(addmod(1, FIELD - dxy, FIELD)), FIELD);
        return (x3, y3);
    }

    /// @dev a^(p-2) mod p through the modexp precompile (EIP-198). The precompile fails only when
    /// out of gas, and then so does the transaction.
    function _inverse(uint256 a) private view returns (uint256 result) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, 0x20)
            mstore(add(p, 0x20), 0x20)
            mstore(add(p, 0x40), 0x20)
            mstore(add(p, 0x60), a)
            mstore(add(p, 0x80), sub(FIELD, 2))
            mstore(add(p, 0xa0), FIELD)
            if iszero(staticcall(gas(), 0x05, p, 0xc0, p, 0x20)) { revert(0, 0) }
            result := mload(p)
        }
    }

    function _requireFieldElement(uint256 value) private pure {
        if (value == 0 || value >= FIELD) revert CohortRegistryInvalidFieldElement(value);
    }
}
