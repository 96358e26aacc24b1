// The ledger as the rest of the node sees it: small ports per capability, one implementation
// per chain (EVM for Besu and the embedded dev chain, Fabric). The core never imports ethers or
// the Fabric SDK directly; a factory picks the implementation from configuration.

/** Hex strings are 0x-prefixed and lower case; roots are 32 bytes. */
export type Hex = `0x${string}`;

/**
 * The ledger kinds this node can run on, each one entry of the factory map
 * (gateway/ledger/factory.ts). Fabric joins the list when its implementation of the ports does.
 */
export const LEDGER_KINDS = ['evm'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export const MemberRole = {
  HOSPITAL: 1,
  PAYER: 2,
  RESEARCHER: 4,
  LICENSING: 8,
  EMERGENCY: 16,
} as const;
export type MemberRoleName = keyof typeof MemberRole;

export interface Member {
  orgId: string;
  /** Bit set of MemberRole values. */
  roles: number;
  signers: Hex[];
  active: boolean;
}

/** One batch root as the ledger holds it, with where and when it was written. */
export interface AnchorRecord {
  /** bytes32 member id: keccak256 of the member's org id. Anchors are per member, not per key,
   * so a member can rotate its signing keys without breaking its sequence. */
  member: Hex;
  /** The signer address that sent the transaction. */
  submitter: Hex;
  sequence: bigint;
  root: Hex;
  leafCount: number;
  prevRoot: Hex;
  txHash: Hex;
  blockNumber: number;
  /** Block timestamp, seconds since the epoch. */
  blockTime: number;
  chainId: number;
  contract: Hex;
}

export interface AnchorSubmission {
  sequence: bigint;
  root: Hex;
  leafCount: number;
  prevRoot: Hex;
}

export interface AnchorPort {
  /** The bytes32 member id this node anchors as. */
  readonly memberId: Hex;
  /** Highest sequence anchored by `member`, 0n when it has anchored nothing. Sequences start at 1. */
  latestSequence(member: Hex): Promise<bigint>;
  /** Sends the anchor and resolves once it is included in a block. */
  submitAnchor(submission: AnchorSubmission): Promise<AnchorRecord>;
  getAnchor(member: Hex, sequence: bigint): Promise<AnchorRecord | null>;
  findByRoot(root: Hex): Promise<AnchorRecord | null>;
  /** Cheap liveness probe used by /health. */
  ping(): Promise<boolean>;
}

export interface MemberPort {
  getMember(signer: Hex): Promise<(Member & { memberId: Hex }) | null>;
  hasRole(signer: Hex, role: MemberRoleName): Promise<boolean>;
  /** The member as the registry holds it now, null when `memberId` was never registered. */
  getMemberById(memberId: Hex): Promise<Member | null>;
  /** Every member ever registered (removed ones too, inactive), in registration order. */
  listMembers(): Promise<(Member & { memberId: Hex })[]>;
}

/** A change to one member, as ConsortiumRegistry's events record it. */
export type MembershipChange =
  | { kind: 'member-added'; orgId: string; roles: number }
  | { kind: 'member-removed' }
  | { kind: 'role-granted'; role: number }
  | { kind: 'role-revoked'; role: number }
  | { kind: 'signer-added'; signer: Hex }
  | { kind: 'signer-removed'; signer: Hex };

/** Where a log sits in the chain: logs compare by block, then by their index in the block. */
export interface ChainPosition {
  blockNumber: number;
  logIndex: number;
}

export type MembershipEvent = MembershipChange & ChainPosition & { memberId: Hex; txHash: Hex };

/** What identifies a chain beyond its (reusable) chain id: the hash of its block 0. */
export interface ChainIdentity {
  chainId: number;
  genesisHash: Hex;
}

/**
 * The chain reads a receipt verifier makes besides anchor lookups, at contract addresses it
 * passes in (the pinned ones, never addresses read from the evidence). Read-only: a payer holds
 * no key.
 */
export interface VerifierChainReader {
  identity(): Promise<ChainIdentity>;
  latestBlock(): Promise<number>;
  hasCode(address: Hex): Promise<boolean>;
  /** AnchorRegistry.consortium(): the ConsortiumRegistry an AnchorRegistry consults. */
  consortiumOf(anchorRegistry: Hex): Promise<Hex>;
  /** Block of the first event `consortiumRegistry` emitted (its constructor's MemberAdded), null when none. */
  firstEventBlock(consortiumRegistry: Hex): Promise<number | null>;
  /** The registry's events about `memberId` in blocks [fromBlock, toBlock], in chain order. */
  membershipEvents(consortiumRegistry: Hex, memberId: Hex, fromBlock: number, toBlock: number): Promise<MembershipEvent[]>;
  /** The member as the registry holds it at the latest block, null when never registered. */
  memberNow(consortiumRegistry: Hex, memberId: Hex): Promise<Member | null>;
  /** Where the Anchored event of `anchor` sits (the anchor's own position in the chain). */
  anchorPosition(anchor: AnchorRecord): Promise<ChainPosition>;
  /**
   * The registries a TelehealthRegistry's gates read (its consortium, consents and licences), and
   * the ConsortiumRegistry that LicenceRegistry consults: what a trust file must pin together.
   */
  telehealthLinks(telehealthRegistry: Hex): Promise<TelehealthRegistryLinks>;
}

export interface TelehealthRegistryLinks {
  consortium: Hex;
  consents: Hex;
  licences: Hex;
  /** LicenceRegistry(licences).consortium(). */
  licencesConsortium: Hex;
}

/** What a configured node needs to reach an EVM chain. */
export interface ChainDescriptor {
  rpcUrl: string;
  chainId: number;
  contracts: {
    ConsortiumRegistry: Hex;
    AnchorRegistry: Hex;
    [name: string]: Hex;
  };
}

/**
 * A ledger as configuration, dev.json and the CLI name it: its kind first, then what that kind
 * needs (for EVM the RPC endpoint, chain id and registry addresses).
 */
export type LedgerDescriptor = { kind: 'evm' } & ChainDescriptor;

/** The terms ConsentRegistry records, with the clear string lists reduced to their EIP-712 hashes. */
export interface ConsentTermsInput {
  /** The patient's pseudonymous address. */
  patient: Hex;
  granteeMember: Hex;
  /** Zero: any practitioner of the grantee member. */
  granteePractitioner: Hex;
  actionsHash: Hex;
  categoriesHash: Hex;
  /** Bit set of PurposeOfUse codes: TREAT 1, ETREAT 2, HPAYMT 4, HRESCH 8. */
  purposes: number;
  /** Seconds since the epoch; the grant holds for notBefore <= t < notAfter. */
  notBefore: number;
  notAfter: number;
  nonce: bigint;
}

export interface ConsentGrantRecord {
  /** The EIP-712 digest of the signed terms. */
  grantId: Hex;
  patient: Hex;
  granteeMember: Hex;
  granteePractitioner: Hex;
  /** keccak256(abi.encode(actionsHash, categoriesHash)). */
  scopeHash: Hex;
  purposes: number;
  notBefore: number;
  notAfter: number;
  /** The member that submitted the grant for the patient. */
  recordedBy: Hex;
  /** Block time of the revocation, null while the grant stands. */
  revokedAt: number | null;
}

export interface ConsentTx {
  txHash: Hex;
  blockNumber: number;
  /** Block timestamp, seconds since the epoch. */
  blockTime: number;
}

export type ConsentChainEvent =
  | ({ kind: 'granted'; grant: ConsentGrantRecord } & ConsentTx)
  | ({ kind: 'revoked'; grantId: Hex; patient: Hex } & ConsentTx)
  | ({ kind: 'emergency'; accessor: Hex; patient: Hex; servingMember: Hex; reasonHash: Hex } & ConsentTx);

/** Patient consents on the ledger (ConsentRegistry). Rejections are ConsentRejectedError values. */
export interface ConsentPort {
  readonly chainId: number;
  /** The registry's address: the EIP-712 verifying contract. */
  readonly contract: Hex;
  /** The nonce the patient's next consent or revocation must carry. */
  nonceOf(patient: Hex): Promise<bigint>;
  /** Records a patient-signed grant; resolves once it is in a block. */
  grant(terms: ConsentTermsInput, signature: Hex): Promise<ConsentTx & { grant: ConsentGrantRecord }>;
  /** Revokes with the patient's signed Revocation(grantId, nonce). */
  revokeWithSignature(grantId: Hex, nonce: bigint, signature: Hex): Promise<ConsentTx>;
  /** Logs a break-glass read this node served: accessor member, patient address, salted reason hash. */
  recordEmergencyAccess(accessor: Hex, patient: Hex, reasonHash: Hex): Promise<ConsentTx>;
  getGrant(grantId: Hex): Promise<ConsentGrantRecord | null>;
  latestBlock(): Promise<number>;
  /** The registry's events in blocks [fromBlock, toBlock], in chain order. */
  events(fromBlock: number, toBlock: number): Promise<ConsentChainEvent[]>;
}

/** A Groth16 proof in the verifier contracts' encoding (G2 coordinates [c1, c0]) with its public signals. */
export interface ProofCalldata {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
  /** Circuit outputs first, then public inputs. */
  signals: bigint[];
}

export interface CohortTx {
  txHash: Hex;
  blockNumber: number;
  gasUsed: bigint;
}

/** A hospital's committed cohort tree for one epoch (CohortRegistry.RecordsCommitted). */
export interface CohortCommitment {
  member: Hex;
  epoch: bigint;
  root: bigint;
  recordCount: number;
  chunkRoots: bigint[];
  txHash: Hex;
  blockNumber: number;
}

export interface CohortQueryRecord {
  queryId: bigint;
  researcher: Hex;
  criteriaHash: bigint;
  minCellSize: number;
  /** Seconds since the epoch. */
  deadline: number;
  /** The criteria document as posted (JSON); hospitals check it compiles to criteriaHash. */
  criteria: string;
  txHash: Hex;
  blockNumber: number;
}

export interface CohortAnswerRecord {
  queryId: bigint;
  member: Hex;
  epoch: bigint;
  releasedCount: number;
  belowMinimum: boolean;
  txHash: Hex;
  blockNumber: number;
}

/** The proofs of an answer, read back from its transactions' calldata for offline audit. */
export interface CohortAnswerProofs {
  queryId: bigint;
  epoch: bigint;
  chunks: ProofCalldata[];
  release: ProofCalldata;
  /** The answer's transactions: the chunk batches in order, then the one that posted the answer. */
  transactions: Hex[];
}

/** A hospital's answer under way in several transactions (CohortRegistry.answerProgress). */
export interface CohortAnswerProgress {
  epoch: bigint;
  /** Chunks posted so far: where the next batch starts. */
  nextIndex: number;
  /** Sum of the posted chunks' count commitments (Baby Jubjub). */
  aggregate: [bigint, bigint];
}

export interface EligibilityAcceptance {
  scopeId: bigint;
  nullifier: bigint;
  root: bigint;
  acceptedBy: Hex;
}

export type CohortChainEvent =
  | { kind: 'committed'; commitment: CohortCommitment }
  | { kind: 'query'; query: CohortQueryRecord }
  | { kind: 'answer'; answer: CohortAnswerRecord }
  | { kind: 'trial'; scopeId: bigint; criteriaHash: bigint; registeredBy: Hex; txHash: Hex; blockNumber: number }
  | { kind: 'eligibility'; acceptance: EligibilityAcceptance; txHash: Hex; blockNumber: number };

/** Zero-knowledge cohort queries and trial eligibility (CohortRegistry). Rejections are CohortRejectedError values. */
export interface CohortPort {
  readonly chainId: number;
  readonly contract: Hex;
  /** SHA-256 (hex) of the feature schema the consortium agreed on. */
  featureSchemaHash(): Promise<Hex>;
  minCellSizeFloor(): Promise<number>;
  /** 0n when the member committed nothing yet. */
  latestEpoch(member: Hex): Promise<bigint>;
  getCommitment(member: Hex, epoch: bigint): Promise<CohortCommitment | null>;
  commitRecords(epoch: bigint, root: bigint, recordCount: number, chunkRoots: bigint[]): Promise<CohortCommitment & { gasUsed: bigint }>;
  postQuery(criteriaHash: bigint, minCellSize: number, deadline: number, criteria: string): Promise<CohortQueryRecord>;
  getQuery(queryId: bigint): Promise<CohortQueryRecord | null>;
  /**
   * Posts this member's answer: in one transaction when it is small, otherwise in batches of
   * chunks and then the release, continuing from this member's partial answer if one is on chain
   * (a node restarted mid-answer). `gasUsed` sums every transaction this call sent.
   */
  postAnswer(queryId: bigint, epoch: bigint, chunks: ProofCalldata[], release: ProofCalldata): Promise<CohortAnswerRecord & { gasUsed: bigint }>;
  /** `member`'s answer to a query posted in part so far, null when none is under way. */
  answerProgress(queryId: bigint, member: Hex): Promise<CohortAnswerProgress | null>;
  /** This member's (or `member`'s) answer to a query, null when none was posted. */
  getAnswer(queryId: bigint, member: Hex): Promise<CohortAnswerRecord | null>;
  answersTo(queryId: bigint): Promise<CohortAnswerRecord[]>;
  /** The proofs of the answer posted (AnswerPosted) by transaction `txHash`, from all its transactions. */
  answerProofs(txHash: Hex): Promise<CohortAnswerProofs>;
  registerTrial(scopeId: bigint, criteriaHash: bigint): Promise<CohortTx>;
  /** The trial's criteria hash, null when no trial is registered under scopeId. */
  trialCriteriaHash(scopeId: bigint): Promise<bigint | null>;
  acceptEligibility(proof: ProofCalldata): Promise<EligibilityAcceptance & CohortTx>;
  isNullifierSpent(scopeId: bigint, nullifier: bigint): Promise<boolean>;
  isCommittedRoot(root: bigint): Promise<boolean>;
  latestBlock(): Promise<number>;
  /** The registry's events in blocks [fromBlock, toBlock], in chain order. */
  events(fromBlock: number, toBlock: number): Promise<CohortChainEvent[]>;
}

/** The anchor reads a verifier makes: any member's anchors, no submissions. */
export type AnchorReader = Pick<AnchorPort, 'latestSequence' | 'getAnchor' | 'findByRoot'>;

/** A node's ledger: every port, signing as the node's member key. What the factory connects. */
export interface Ledger {
  anchors: AnchorPort;
  members: MemberPort;
  /** null when the configuration names no ConsentRegistry. */
  consents: ConsentPort | null;
  /** null when the configuration names no CohortRegistry. */
  cohorts: CohortPort | null;
  /** null when the configuration names no TelehealthRegistry. */
  telehealth: TelehealthPort | null;
  /** null when the configuration names no LicenceRegistry. */
  licences: LicencePort | null;
  /** null when the configuration names no ClaimRegistry. */
  claimFingerprints: ClaimFingerprintPort | null;
  /** What $verify-anchor reads besides anchors: chain identity and the registry's history. */
  verifier: VerifierChainReader;
  /** The chain's latest block number, straight from the node (no cache); for liveness probes. */
  blockNumber(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The ledger as the command line reaches it (a payer's verify, a researcher's cohort query, a
 * trust export): no registration check, since a payer holds no member key. Ports that send
 * transactions sign with the key the client was opened with and refuse without one.
 */
export interface LedgerClient {
  /** Anchors in the AnchorRegistry at `registry`: verifiers pass the pinned one, never the receipt's. */
  anchorsAt(registry: Hex): AnchorReader;
  /** null when the target names no ConsortiumRegistry. */
  members: MemberPort | null;
  /** null when the target names no CohortRegistry. */
  cohorts: CohortPort | null;
  /** null when the target names no LicenceRegistry; issuing and revoking need the LICENSING member's key. */
  licences: LicencePort | null;
  /** Licences in the LicenceRegistry at `registry`: verifiers pass the pinned one, never the evidence's. */
  licencesAt(registry: Hex): LicenceReader;
  /** Claim-line fingerprints in the ClaimRegistry at `registry` (read-only): verifiers pass the pinned one. */
  fingerprintsAt(registry: Hex): ClaimFingerprintReader;
  verifier: VerifierChainReader;
  /** Timestamp (seconds since the epoch) of the latest block: the chain's clock for deadlines. */
  latestBlockTime(): Promise<number>;
  close(): Promise<void>;
}

/** Where a transaction landed: its hash, block and the block's time (seconds since the epoch). */
export type LedgerTx = ConsentTx;

/**
 * A practitioner licence credential as LicenceRegistry holds it: its hash, subject key, issuer
 * and validity, never the licence itself (the credential stays with the practitioner and the
 * issuing LICENSING member).
 */
export interface LicenceRecord {
  /** EIP-712 digest of the credential (gateway/telehealth licence credential format). */
  credentialHash: Hex;
  /** The LICENSING member that issued it. */
  issuerMember: Hex;
  /** The practitioner's key (address): the credential's subject. */
  subject: Hex;
  /** Seconds since the epoch; the licence holds for validFrom <= t < validUntil. */
  validFrom: number;
  validUntil: number;
  /** Block time of the revocation, null while it stands. */
  revokedAt: number | null;
}

export type LicenceChainEvent =
  | ({ kind: 'issued'; licence: LicenceRecord } & LedgerTx)
  | ({ kind: 'revoked'; credentialHash: Hex; subject: Hex } & LedgerTx);

/**
 * Practitioner licences on the ledger (LicenceRegistry). Writes need a LICENSING member's signer;
 * rejections are LicenceRejectedError values (gateway/ledger/licence-errors.ts).
 */
export interface LicencePort {
  readonly contract: Hex;
  issue(credentialHash: Hex, subject: Hex, validFrom: number, validUntil: number): Promise<LedgerTx & { licence: LicenceRecord }>;
  /** Only a signer of the issuing member may revoke. */
  revoke(credentialHash: Hex): Promise<LedgerTx>;
  getLicence(credentialHash: Hex): Promise<LicenceRecord | null>;
  /** Every credential ever issued to `subject`, revoked ones included, in issue order. */
  licencesOf(subject: Hex): Promise<LicenceRecord[]>;
  /**
   * One chain read: the credential licenses `subject` at `at` (seconds since the epoch): issued to
   * it, validFrom <= at < validUntil, not revoked at or before `at`, and its issuer is an active
   * LICENSING member now.
   */
  isValid(credentialHash: Hex, subject: Hex, at: number): Promise<boolean>;
  latestBlock(): Promise<number>;
  /** The registry's events in blocks [fromBlock, toBlock], in chain order. */
  events(fromBlock: number, toBlock: number): Promise<LicenceChainEvent[]>;
}

/** The licence reads a verifier makes (a payer checking the practitioner of a claim): no key, no writes. */
export type LicenceReader = Pick<LicencePort, 'contract' | 'getLicence' | 'licencesOf' | 'isValid'>;

/** Invited roles in a consult (TelehealthRegistry.InviteRole). The host's own provider is implied. */
export const TelehealthInviteRole = { SPECIALIST: 1, SECOND_OPINION: 2, OBSERVER: 3 } as const;
export type TelehealthInviteRoleName = keyof typeof TelehealthInviteRole;

/** How a session ended (TelehealthRegistry.FinalState). */
export const TelehealthFinalState = { COMPLETED: 1, CANCELLED: 2, NO_SHOW: 3 } as const;
export type TelehealthFinalStateName = keyof typeof TelehealthFinalState;

export interface TelehealthSessionOpening {
  /** keccak256 of the opaque session id (the sessionKey); the id itself never goes on chain. */
  sessionIdHash: Hex;
  /** The patient's home member (bytes32 member id). */
  homeMember: Hex;
  /** The patient's pseudonymous address, as in their consent grants. */
  patient: Hex;
  /** The ConsentRegistry grant (patient -> host member, TREAT) the session relies on. */
  consentGrantId: Hex;
}

export interface TelehealthSessionRecord extends TelehealthSessionOpening {
  hostMember: Hex;
  /** Block time of the opening. */
  openedAt: number;
  /** Null while the session is open. */
  closedAt: number | null;
  finalState: number | null;
  /** Merkle root of the session's event log, set at close. */
  eventLogRoot: Hex | null;
}

export type TelehealthChainEvent =
  | ({ kind: 'opened'; session: TelehealthSessionOpening & { hostMember: Hex } } & LedgerTx)
  | ({ kind: 'invited'; sessionIdHash: Hex; invitedMember: Hex; practitionerHash: Hex; role: number } & LedgerTx)
  | ({ kind: 'invitation-withdrawn'; sessionIdHash: Hex; invitedMember: Hex; practitionerHash: Hex } & LedgerTx)
  | ({ kind: 'escalated'; sessionIdHash: Hex; severity: number; reasonHash: Hex } & LedgerTx)
  | ({ kind: 'closed'; sessionIdHash: Hex; finalState: number; eventLogRoot: Hex } & LedgerTx);

/**
 * The telehealth session registry (TelehealthRegistry): parties and gates of each consult, written
 * by the host member's node. Rejections are TelehealthRejectedError values (gateway/ledger/telehealth-errors.ts).
 */
export interface TelehealthPort {
  readonly contract: Hex;
  /** Opens the session; the contract checks the consent grant (active, unrevoked, TREAT, to this member). */
  openSession(opening: TelehealthSessionOpening): Promise<LedgerTx>;
  invite(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex, role: number): Promise<LedgerTx>;
  withdrawInvitation(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex): Promise<LedgerTx>;
  /** severity 1 (lowest) .. 5; reasonHash is salted, the reason stays at the host. */
  escalate(sessionIdHash: Hex, severity: number, reasonHash: Hex): Promise<LedgerTx>;
  closeSession(sessionIdHash: Hex, finalState: number, eventLogRoot: Hex): Promise<LedgerTx>;
  getSession(sessionIdHash: Hex): Promise<TelehealthSessionRecord | null>;
  /** Whether (member, practitionerHash) holds a standing invitation to the session. */
  isInvited(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex): Promise<boolean>;
  /** The standing invitation's role (TelehealthInviteRole), null when there is none. */
  invitationRole(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex): Promise<number | null>;
  /** The LicenceRegistry this registry names: where joins check practitioners' licences. */
  licenceRegistry(): Promise<Hex>;
  latestBlock(): Promise<number>;
  /** The registry's events in blocks [fromBlock, toBlock], in chain order. */
  events(fromBlock: number, toBlock: number): Promise<TelehealthChainEvent[]>;
}

/** One registered claim-line fingerprint: who registered it and which of their anchors holds the claim. */
export interface ClaimFingerprintRecord {
  /** Keyed hash of the normalised claim line (gateway/claims fingerprint format). */
  fingerprint: Hex;
  member: Hex;
  /** Keyed hash of the registering member's claim id: the same for every version of one claim. */
  claimTag: Hex;
  /** The registering member's anchor sequence whose batch holds the claim version. */
  anchorSequence: bigint;
  txHash: Hex;
  blockNumber: number;
  blockTime: number;
}

/** One line to register: the claim it belongs to (its tag) and its fingerprint. */
export interface ClaimLineRegistration {
  claimTag: Hex;
  fingerprint: Hex;
}

/** Claim-line fingerprints on the ledger (ClaimRegistry), for duplicate billing across members. */
export interface ClaimFingerprintPort {
  readonly contract: Hex;
  /** Most lines one register() call takes (ClaimRegistry.MAX_LINES). */
  readonly maxLinesPerCall: number;
  /** Registers lines of claims held in this member's anchor `anchorSequence`; one transaction. */
  register(anchorSequence: bigint, lines: ClaimLineRegistration[]): Promise<LedgerTx>;
  /** Whether `member` registered `fingerprint` for its claim `claimTag` already. */
  isRegistered(fingerprint: Hex, member: Hex, claimTag: Hex): Promise<boolean>;
  /** Every registration of `fingerprint`, earliest first. */
  registrations(fingerprint: Hex): Promise<ClaimFingerprintRecord[]>;
}

/** The reads of ClaimFingerprintPort: what a payer's verifier holds (no key). */
export type ClaimFingerprintReader = Pick<ClaimFingerprintPort, 'contract' | 'registrations'>;
