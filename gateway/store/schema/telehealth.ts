// The consult workflow's tables (gateway/telehealth/telehealth-tables.ts). The FHIR record
// (Appointment, Encounter, Slot, AuditEvent) lives in the resource store like every resource;
// these rows hold what the workflow decides on: the state machine, the slot holds, the
// participants, the event log's digests and the durable chain outbox. No PHI: patients are
// pseudonymous addresses, other members' practitioners hashes and ids their member issued.

export const TELEHEALTH_SCHEMA = `
  CREATE TABLE IF NOT EXISTS telehealth_sessions (
    session_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    appointment_id TEXT NOT NULL UNIQUE,
    encounter_id TEXT NOT NULL,
    slot_id TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    patient_address TEXT NOT NULL,
    home_member TEXT NOT NULL,
    consent_grant_id TEXT,
    end_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS telehealth_sessions_state ON telehealth_sessions (state);
  CREATE INDEX IF NOT EXISTS telehealth_sessions_patient ON telehealth_sessions (patient_address);

  -- One row per held slot: the primary key is what lets exactly one of two concurrent bookings win.
  CREATE TABLE IF NOT EXISTS telehealth_slot_holds (
    slot_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    held_at INTEGER NOT NULL
  );

  CREATE TABLE IF NOT EXISTS telehealth_participants (
    session_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    role TEXT NOT NULL,
    member TEXT NOT NULL,
    practitioner_hash TEXT,
    practitioner_id TEXT,
    licence_subject TEXT,
    status TEXT NOT NULL CHECK (status IN ('invited', 'withdrawn')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, participant_id)
  );

  -- The digests of each session's AuditEvents, in order: the leaves of the root put on chain at close.
  CREATE TABLE IF NOT EXISTS telehealth_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    audit_event_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS telehealth_events_session ON telehealth_events (session_id, seq);

  -- TelehealthRegistry writes waiting to be (or already) sent, in the order they were decided.
  CREATE TABLE IF NOT EXISTS telehealth_chain_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected', 'skipped')),
    reason TEXT,
    tx_hash TEXT,
    block_number INTEGER,
    done_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS telehealth_chain_outbox_pending ON telehealth_chain_outbox (seq) WHERE status = 'pending';
  CREATE INDEX IF NOT EXISTS telehealth_chain_outbox_session ON telehealth_chain_outbox (session_id, seq);
`;
