// The consent capability's tables. Idempotent (IF NOT EXISTS): data dirs created before this file
// made them lazily open unchanged. Nothing in here is PHI in the clear: custodial keys are sealed
// in the patient's vault compartment, and tokens are stored as hashes.

export const CONSENT_SCHEMA = `
  -- The pseudonymous address each patient has on chain, and who holds its key. A custodial key is
  -- sealed under the patient's own vault data key, so erasing the patient destroys it too.
  CREATE TABLE IF NOT EXISTS consent_patients (
    patient_id TEXT PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    custody TEXT NOT NULL CHECK (custody IN ('custodial', 'wallet')),
    sealed_key BLOB,
    created_at INTEGER NOT NULL
  );

  -- Short-lived patient access tokens (hashes only), issued by hospital staff.
  CREATE TABLE IF NOT EXISTS consent_patient_tokens (
    token_hash TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS consent_patient_tokens_patient ON consent_patient_tokens (patient_id);

  -- The clear scope of each grant this node recorded (the chain holds only its hash).
  CREATE TABLE IF NOT EXISTS consent_grants (
    grant_id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    scope_json TEXT NOT NULL,
    scope_hash TEXT NOT NULL,
    consent_id TEXT,
    tx_hash TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS consent_grants_patient ON consent_grants (patient_id);

  -- Member JWT ids seen while their tokens are valid: each member JWT is single use.
  CREATE TABLE IF NOT EXISTS consent_member_jti (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
  );

  -- Break-glass events waiting to be (or already) logged on chain.
  CREATE TABLE IF NOT EXISTS consent_emergency_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    accessor TEXT NOT NULL,
    patient_address TEXT NOT NULL,
    reason_hash TEXT NOT NULL,
    audit_event_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    tx_hash TEXT,
    block_number INTEGER
  );
  CREATE INDEX IF NOT EXISTS consent_emergency_pending ON consent_emergency_outbox (seq) WHERE tx_hash IS NULL;
`;
