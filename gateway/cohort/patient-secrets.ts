import { createHmac } from 'node:crypto';
import { FIELD_MODULUS } from './poseidon.js';

/**
 * Per-patient eligibility secrets, derived from the node's master key: secret =
 * HMAC-SHA256(HMAC-SHA256(masterKey, label), patientId) as a field element.
 *
 * Derived rather than stored, so the record builder needs no per-patient state and every epoch
 * gets the same identity commitment Poseidon(secret) for a patient (eligibility proofs work
 * against any epoch). The consent module's custodial secp256k1 keys were the alternative: they
 * exist only for patients who consented, would have to be created for every patient on the
 * first commit, and mixing signing keys with nullifier secrets couples two unrelated uses.
 * The trade-off, as docs/zk.md says, is that the hospital can compute these secrets, so it can
 * link a patient's nullifiers; a patient who wants unlinkability enrols their own secret.
 */
export class PatientSecrets {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = createHmac('sha256', masterKey).update('careledger-cohort-patient-secret-v1').digest();
  }

  of(patientId: string): bigint {
    const digest = createHmac('sha256', this.key).update(patientId, 'utf8').digest('hex');
    return BigInt(`0x${digest}`) % FIELD_MODULUS;
  }
}
