// Patient access tokens: how a patient acts on the patient API without a wallet. Hospital staff
// (an authenticated EHR client, i.e. the patient portal or a clerk who checked the patient's
// identity) asks for one for a given patient; the patient presents it as a bearer token. It is
// bound to that one patient, lives 15 minutes, and is stored only as a SHA-256 hash.

import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/database.js';
import { ensureConsentSchema } from './consent-schema.js';

export const PATIENT_TOKEN_PREFIX = 'clp_';
export const PATIENT_TOKEN_TTL_SECONDS = 900;

export class PatientSessions {
  private readonly statements;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    ensureConsentSchema(db);
    this.statements = {
      insert: db.prepare('INSERT INTO consent_patient_tokens (token_hash, patient_id, issued_by, expires_at) VALUES (?, ?, ?, ?)'),
      lookup: db.prepare('SELECT patient_id, expires_at FROM consent_patient_tokens WHERE token_hash = ?'),
      revoke: db.prepare('DELETE FROM consent_patient_tokens WHERE patient_id = ?'),
      purge: db.prepare('DELETE FROM consent_patient_tokens WHERE expires_at <= ?'),
    };
  }

  issue(patientId: string, issuedBy: string): { accessToken: string; expiresIn: number } {
    this.statements.purge.run(this.now());
    const accessToken = PATIENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    this.statements.insert.run(hash(accessToken), patientId, issuedBy, this.now() + PATIENT_TOKEN_TTL_SECONDS * 1000);
    return { accessToken, expiresIn: PATIENT_TOKEN_TTL_SECONDS };
  }

  /** The patient a token acts for, or null when it is unknown or expired. */
  patientOf(token: string): string | null {
    const row = this.statements.lookup.get(hash(token)) as { patient_id: string; expires_at: number } | undefined;
    return row && row.expires_at > this.now() ? row.patient_id : null;
  }

  revokeAll(patientId: string): void {
    this.statements.revoke.run(patientId);
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
