// Patient access tokens: how a patient acts on the patient API without a wallet. Hospital staff
// (an authenticated EHR client, i.e. the patient portal or a clerk who checked the patient's
// identity) asks for one for a given patient; the patient presents it as a bearer token. It is
// bound to that one patient, lives 15 minutes, and is stored only as a SHA-256 hash.

import { createHash, randomBytes } from 'node:crypto';
import type { PatientTokenTable } from './consent-tables.js';

export const PATIENT_TOKEN_PREFIX = 'clp_';
const PATIENT_TOKEN_TTL_SECONDS = 900;

export class PatientSessions {
  constructor(
    private readonly tokens: PatientTokenTable,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(patientId: string, issuedBy: string): Promise<{ accessToken: string; expiresIn: number }> {
    await this.tokens.removeExpired(this.now());
    const accessToken = PATIENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    await this.tokens.insert(hash(accessToken), patientId, issuedBy, this.now() + PATIENT_TOKEN_TTL_SECONDS * 1000);
    return { accessToken, expiresIn: PATIENT_TOKEN_TTL_SECONDS };
  }

  /** The patient a token acts for, or null when it is unknown or expired. */
  async patientOf(token: string): Promise<string | null> {
    const found = await this.tokens.lookup(hash(token));
    return found && found.expiresAt > this.now() ? found.patientId : null;
  }

  async revokeAll(patientId: string): Promise<void> {
    await this.tokens.removePatient(patientId);
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
