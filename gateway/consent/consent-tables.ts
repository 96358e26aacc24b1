// What the consent capability keeps in the node's database, as narrow ports: the SQLite tables
// implement them in gateway/store/consent-store.ts, and a replicated store (PostgreSQL) can too,
// which is why every method may answer later. The per-read consent decision never waits on them:
// patient addresses and grant scopes are loaded into memory at start (patient-keys.ts,
// grant-scopes.ts) and these ports are read again only on writes and patient-facing calls.

export type Custody = 'custodial' | 'wallet';

export interface StoredPatientKey {
  patientId: string;
  /** Lower-case 0x address. */
  address: string;
  custody: Custody;
  /** The custodial private key sealed in the patient's vault compartment; null for a wallet. */
  sealedKey: Buffer | null;
}

export interface PatientKeyTable {
  all(): Promise<StoredPatientKey[]>;
  get(patientId: string): Promise<StoredPatientKey | null>;
  insert(key: StoredPatientKey, createdAt: number): Promise<void>;
  remove(patientId: string): Promise<void>;
}

export interface PatientTokenTable {
  insert(tokenHash: string, patientId: string, issuedBy: string, expiresAt: number): Promise<void>;
  lookup(tokenHash: string): Promise<{ patientId: string; expiresAt: number } | null>;
  removePatient(patientId: string): Promise<void>;
  removeExpired(now: number): Promise<void>;
}

export interface StoredGrant {
  grantId: string;
  patientId: string;
  /** The clear scope as JSON; the chain holds only its hash (scopeHash). */
  scopeJson: string;
  consentId: string | null;
  txHash: string | null;
}

export interface GrantScopeTable {
  /** Every grant, oldest first. */
  all(): Promise<StoredGrant[]>;
  /** Does nothing when the grant is already recorded. */
  insert(grant: { grantId: string; patientId: string; scopeJson: string; scopeHash: string }, createdAt: number): Promise<void>;
  attach(grantId: string, consentId: string, txHash: string): Promise<void>;
  remove(grantId: string): Promise<void>;
  removePatient(patientId: string): Promise<void>;
}

export interface MemberJtiTable {
  /** False when (issuer, jti) was already claimed: the JWT is a replay. */
  claim(issuer: string, jti: string, expiresAt: number): Promise<boolean>;
  removeExpired(nowSeconds: number): Promise<void>;
}

export interface PendingEmergency {
  seq: number;
  accessor: string;
  patientAddress: string;
  reasonHash: string;
}

export interface EmergencyOutbox {
  add(event: { accessor: string; patientAddress: string; reasonHash: string; auditEventId: string }, createdAt: number): Promise<void>;
  /** Events not yet marked sent, in the order they were added. */
  pending(): Promise<PendingEmergency[]>;
  /** `txHash` is the chain transaction, or `rejected:<reason>` for an event the chain refused for good. */
  markSent(seq: number, txHash: string, blockNumber: number | null): Promise<void>;
  sentFor(auditEventId: string): Promise<{ txHash: string | null; blockNumber: number | null } | null>;
}

/**
 * Erasing a patient's compartment in the store, in one transaction: the vault data key is
 * shredded, the blind search entries of the resources whose current version sits in it go, and
 * those resources' current rows are marked deleted (so pages and counts never trip over them).
 */
export interface CompartmentErasure {
  isErased(compartment: string): Promise<boolean>;
  erase(compartment: string): Promise<void>;
}

export interface ConsentTables {
  patientKeys: PatientKeyTable;
  patientTokens: PatientTokenTable;
  grants: GrantScopeTable;
  memberJtis: MemberJtiTable;
  emergencyOutbox: EmergencyOutbox;
  erasure: CompartmentErasure;
}
