// The telehealth relay's table: the ids (jti) of the join tokens already redeemed, kept until the
// token's own expiry (after which it is refused anyway), so a replay stays refused across restarts.

export const TELEHEALTH_RELAY_SCHEMA = `
  CREATE TABLE IF NOT EXISTS telehealth_join_jti (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS telehealth_join_jti_expiry ON telehealth_join_jti(expires_at);
`;
