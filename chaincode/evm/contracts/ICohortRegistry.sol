// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Errors, events and record types of the zero-knowledge cohort registry.
/// @notice Nothing here identifies a patient: hospitals publish Poseidon roots of their feature
/// records, researchers publish criteria (research questions, not patient data), answers carry
/// Groth16 proofs whose public signals are a count (or 0 for "below the minimum cell size"),
/// Pedersen commitments, roots and hashes, and eligibility proofs carry a per-trial nullifier.
interface ICohortRegistry {
    /// @notice A Groth16 proof in the verifier contracts' encoding (G2 coordinates as [c1, c0])
    /// with its four public signals, circuit outputs first.
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
        uint256[4] signals;
    }

    /// @notice A hospital's committed cohort tree for one epoch.
    struct Commitment {
        uint256 root;
        uint64 recordCount;
        uint64 chunkCount;
        /// keccak256 chain over the chunk roots: d_0 = 0, d_i = keccak256(d_{i-1} ‖ chunkRoot_i).
        bytes32 chunkRootsDigest;
        uint64 committedAt;
    }

    struct Query {
        bytes32 researcher;
        uint256 criteriaHash;
        uint32 minCellSize;
        uint64 deadline;
        uint64 postedAt;
        uint32 answers;
    }

    struct Answer {
        uint64 epoch;
        /// The released total; 0 when it was below the query's minimum cell size.
        uint64 releasedCount;
        bool belowMinimum;
        uint64 postedAt;
    }

    /// @notice A hospital's answer being posted in several transactions (postAnswerChunks), until
    /// finishAnswer. All zero when none is in progress.
    struct AnswerProgress {
        uint64 epoch;
        /// Chunks posted so far: the index the next postAnswerChunks must start at.
        uint64 nextIndex;
        /// The keccak chain over the posted chunks' roots (as Commitment.chunkRootsDigest).
        bytes32 chunkRootsDigest;
        /// Baby Jubjub sum of the posted chunks' count commitments.
        uint256 aggregateX;
        uint256 aggregateY;
    }

    struct Trial {
        uint256 criteriaHash;
        bytes32 registeredBy;
    }

    /// @dev The consortium registry address given to the constructor has no code.
    error CohortRegistryInvalidConsortium(address consortium);
    /// @dev A verifier address given to the constructor has no code.
    error CohortRegistryInvalidVerifier(address verifier);
    /// @dev The consortium's minimum cell size floor must be at least 1.
    error CohortRegistryInvalidCellSizeFloor(uint32 floor);
    /// @dev `account` is not a signer of an active member holding the HOSPITAL role.
    error CohortRegistryNotHospital(address account);
    /// @dev `account` is not a signer of an active member holding the RESEARCHER role.
    error CohortRegistryNotResearcher(address account);
    /// @dev `account` is not a signer of an active member holding the RESEARCHER or HOSPITAL role.
    error CohortRegistryNotTrialRegistrar(address account);
    /// @dev `account` is not a signer of an active consortium member.
    error CohortRegistryNotMember(address account);
    /// @dev Epochs of a member must strictly increase: `got` is not above `latest`.
    error CohortRegistryEpochNotIncreasing(bytes32 member, uint64 latest, uint64 got);
    /// @dev A root, criteria hash or scope id is zero or not below the SNARK scalar field.
    error CohortRegistryInvalidFieldElement(uint256 value);
    /// @dev `recordCount` records fill `expected` chunks of 16, but `got` chunk roots were given.
    error CohortRegistryChunkCountMismatch(uint64 recordCount, uint256 expected, uint256 got);
    /// @dev The minimum cell size is below the consortium's floor.
    error CohortRegistryCellSizeTooSmall(uint32 minCellSize, uint32 floor);
    /// @dev The deadline is not after the block time `now_`.
    error CohortRegistryInvalidDeadline(uint64 deadline, uint64 now_);
    /// @dev No query was posted under `queryId`.
    error CohortRegistryUnknownQuery(uint256 queryId);
    /// @dev The query's deadline passed.
    error CohortRegistryQueryClosed(uint256 queryId, uint64 deadline);
    /// @dev `member` already answered `queryId`.
    error CohortRegistryAlreadyAnswered(uint256 queryId, bytes32 member);
    /// @dev `member` committed nothing under `epoch`.
    error CohortRegistryUnknownEpoch(bytes32 member, uint64 epoch);
    /// @dev The answer proves `got` chunks, the epoch's commitment has `expected`.
    error CohortRegistryChunkProofCount(uint64 expected, uint256 got);
    /// @dev A proof was made for criteria hash `got`, the query (or trial) has `expected`.
    error CohortRegistryCriteriaMismatch(uint256 expected, uint256 got);
    /// @dev The chunk roots the proofs were made over are not the ones `member` committed in `epoch`.
    error CohortRegistryChunkRootsMismatch(bytes32 member, uint64 epoch);
    /// @dev The release proof opens (`gotX`, `gotY`), not the sum of the chunk commitments.
    error CohortRegistryAggregateMismatch(uint256 expectedX, uint256 expectedY, uint256 gotX, uint256 gotY);
    /// @dev The release proof used minimum cell size `got`, the query has `expected`.
    error CohortRegistryMinCellSizeMismatch(uint256 expected, uint256 got);
    /// @dev The Groth16 proof of chunk `index` does not verify.
    error CohortRegistryInvalidChunkProof(uint256 index);
    /// @dev The Groth16 threshold-release proof does not verify.
    error CohortRegistryInvalidReleaseProof();
    /// @dev Chunks are posted in order without gaps or repeats: `member` has posted `expected`
    /// chunks of its answer to `queryId`, the batch starts at `got`.
    error CohortRegistryChunkIndexMismatch(uint256 queryId, bytes32 member, uint64 expected, uint64 got);
    /// @dev `member`'s answer to `queryId` is under way over epoch `expected`, the batch is for `got`.
    error CohortRegistryAnswerEpochMismatch(uint256 queryId, bytes32 member, uint64 expected, uint64 got);
    /// @dev finishAnswer before every chunk was posted: `posted` of the epoch's `expected` chunks
    /// (0 of 0 when no chunk was posted).
    error CohortRegistryAnswerIncomplete(uint256 queryId, bytes32 member, uint64 posted, uint64 expected);
    /// @dev A trial is already registered under `scopeId`.
    error CohortRegistryTrialExists(uint256 scopeId);
    /// @dev No trial is registered under `scopeId`.
    error CohortRegistryUnknownTrial(uint256 scopeId);
    /// @dev `root` is not a root any hospital committed.
    error CohortRegistryUnknownRoot(uint256 root);
    /// @dev The nullifier was already spent in this trial: the patient is enrolled already.
    error CohortRegistryNullifierUsed(uint256 scopeId, uint256 nullifier);
    /// @dev The Groth16 eligibility proof does not verify.
    error CohortRegistryInvalidEligibilityProof();

    /// @notice A hospital committed its feature records for `epoch`. The chunk roots let anyone
    /// rebuild `root` off chain (16-ary Poseidon tree, chunks after the last one empty).
    event RecordsCommitted(bytes32 indexed member, uint64 indexed epoch, uint256 root, uint64 recordCount, uint256[] chunkRoots);
    /// @notice A researcher posted a query. `criteria` is the criteria document (JSON) whose
    /// compiled Poseidon hash is `criteriaHash`; hospitals check that before answering.
    event QueryPosted(
        uint256 indexed queryId,
        bytes32 indexed researcher,
        uint256 criteriaHash,
        uint32 minCellSize,
        uint64 deadline,
        string criteria
    );
    /// @notice Chunk proofs `firstIndex` .. `firstIndex + count - 1` of `member`'s answer to
    /// `queryId` verified on chain (postAnswerChunks); the answer itself is AnswerPosted.
    event AnswerChunksPosted(uint256 indexed queryId, bytes32 indexed member, uint64 epoch, uint64 firstIndex, uint64 count);
    /// @notice A hospital's answer passed every check and every proof verified on chain.
    event AnswerPosted(uint256 indexed queryId, bytes32 indexed member, uint64 epoch, uint64 releasedCount, bool belowMinimum);
    event TrialRegistered(uint256 indexed scopeId, bytes32 indexed registeredBy, uint256 criteriaHash);
    /// @notice An eligibility proof verified and spent its nullifier in the trial.
    event EligibilityAccepted(uint256 indexed scopeId, uint256 indexed nullifier, uint256 root, bytes32 acceptedBy);
}
