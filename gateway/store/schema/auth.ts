// The SMART Backend Services tables: registered clients, the access tokens issued to them and the
// client assertion ids already accepted. Idempotent (IF NOT EXISTS): data dirs whose auth tables
// were created lazily, before the schema lived here, open unchanged.

export const AUTH_SCHEMA = `
  CREATE TABLE IF NOT EXISTS auth_client (
    client_id  TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    jwks       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;

  -- Access tokens are random; only their SHA-256 is stored, so a copy of the database grants nothing.
  CREATE TABLE IF NOT EXISTS auth_access_token (
    token_hash BLOB PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES auth_client(client_id),
    scope      TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS auth_access_token_expiry ON auth_access_token(expires_at);
  CREATE INDEX IF NOT EXISTS auth_access_token_client ON auth_access_token(client_id);

  -- Client assertion ids seen, kept until the assertion's own exp (after which it is refused anyway).
  CREATE TABLE IF NOT EXISTS auth_assertion_jti (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS auth_assertion_jti_expiry ON auth_assertion_jti(expires_at);
`;
