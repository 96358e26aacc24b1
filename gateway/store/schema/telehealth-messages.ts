// The telehealth capability's in-session messages and files, and the visit-note outbox. Nothing in
// here is readable without the vault: a message's content is sealed under a key of its own, and
// that key is sealed in the patient's vault compartment. Shredding a message (its retention ran
// out) drops both, so the content is gone for good while the anchored Communication keeps only a
// salted digest; erasing the patient shreds the compartment, and with it every message key.

export const TELEHEALTH_MESSAGES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS consult_messages (
    message_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_role TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'file')),
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    compartment TEXT NOT NULL,
    -- The message's own data key, sealed in the patient's compartment; NULL once shredded.
    wrapped_key BLOB,
    sealed BLOB,
    communication TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    shredded_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS consult_messages_session ON consult_messages (session_id, created_at);
  CREATE INDEX IF NOT EXISTS consult_messages_expiry ON consult_messages (expires_at) WHERE shredded_at IS NULL;

  -- Visit notes on their way to the patient's home hospital, sent in the background and retried
  -- with backoff: a note written here is delivered once the home node answers, across restarts.
  CREATE TABLE IF NOT EXISTS visit_note_outbox (
    note_id TEXT NOT NULL,
    note_version TEXT NOT NULL,
    home_member TEXT NOT NULL,
    patient_address TEXT NOT NULL,
    consent_grant_id TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'refused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    delivered_ref TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (note_id, note_version)
  );
  CREATE INDEX IF NOT EXISTS visit_note_outbox_due ON visit_note_outbox (next_attempt_at) WHERE status = 'pending';
`;
