// Patient keys. On chain a patient is an address and nothing else. A patient who holds a wallet
// links its address (proving control with a signature); for everyone else the hospital creates a
// fresh secp256k1 key per patient (never reused across patients) and keeps it sealed in the
// vault under the patient's own compartment key, which the node's master key wraps. Erasing the
// patient shreds that compartment key, and with it the custodial key. The key is opened only to
// sign a consent or revocation after an authenticated patient action (patient-routes.ts).

import { conflict, notFound, OperationOutcomeError, badRequest } from '@medplum/core';
import { Wallet, verifyMessage } from 'ethers';
import type { Hex } from '../ledger/ports.js';
import type { Db } from '../store/database.js';
import type { Vault } from '../store/vault.js';
import { ensureConsentSchema } from './consent-schema.js';

export type Custody = 'custodial' | 'wallet';

export interface PatientKeyRecord {
  patientId: string;
  address: Hex;
  custody: Custody;
}

interface Row {
  patient_id: string;
  address: string;
  custody: Custody;
  sealed_key: Buffer | null;
}

export class PatientKeys {
  private readonly byPatient = new Map<string, PatientKeyRecord>();
  private readonly byAddress = new Map<Hex, string>();
  private readonly statements;

  constructor(
    db: Db,
    private readonly vault: Vault,
    /** This node's member id: wallet link proofs name it, so a proof for one hospital is useless at another. */
    private readonly memberId: Hex,
  ) {
    ensureConsentSchema(db);
    this.statements = {
      all: db.prepare('SELECT patient_id, address, custody, sealed_key FROM consent_patients'),
      one: db.prepare('SELECT patient_id, address, custody, sealed_key FROM consent_patients WHERE patient_id = ?'),
      insert: db.prepare('INSERT INTO consent_patients (patient_id, address, custody, sealed_key, created_at) VALUES (?, ?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM consent_patients WHERE patient_id = ?'),
    };
    for (const row of this.statements.all.all() as Row[]) this.remember(row);
  }

  get(patientId: string): PatientKeyRecord | null {
    return this.byPatient.get(patientId) ?? null;
  }

  addressOf(patientId: string): Hex | null {
    return this.byPatient.get(patientId)?.address ?? null;
  }

  patientOf(address: Hex): string | null {
    return this.byAddress.get(address.toLowerCase() as Hex) ?? null;
  }

  /** The patient's custodial key record, created on first use. */
  ensureCustodial(patientId: string): PatientKeyRecord {
    const existing = this.get(patientId);
    if (existing) return existing;
    const wallet = Wallet.createRandom();
    const sealed = this.vault.seal(compartment(patientId), keyLabel(patientId), Buffer.from(wallet.privateKey.slice(2), 'hex'));
    const row: Row = { patient_id: patientId, address: wallet.address.toLowerCase(), custody: 'custodial', sealed_key: sealed };
    this.statements.insert.run(row.patient_id, row.address, row.custody, row.sealed_key, Date.now());
    return this.remember(row);
  }

  /** The statement a wallet signs (EIP-191) to prove it belongs to the patient record. */
  linkStatement(patientId: string, address: string): string {
    return `careledger: link wallet ${address.toLowerCase()} to patient record ${patientId} at member ${this.memberId}`;
  }

  linkWallet(patientId: string, address: string, signature: string): PatientKeyRecord {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new OperationOutcomeError(badRequest('address must be a 0x-prefixed Ethereum address', 'address'));
    const existing = this.get(patientId);
    if (existing) {
      if (existing.address === address.toLowerCase()) return existing;
      throw new OperationOutcomeError(conflict(`The patient already has a ${existing.custody} key (${existing.address}); keys are never replaced`));
    }
    if (this.patientOf(address as Hex)) throw new OperationOutcomeError(conflict('That wallet is linked to another patient record'));
    let signer: string;
    try {
      signer = verifyMessage(this.linkStatement(patientId, address), signature);
    } catch {
      throw new OperationOutcomeError(badRequest('signature is not a valid EIP-191 signature', 'signature'));
    }
    if (signer.toLowerCase() !== address.toLowerCase()) {
      throw new OperationOutcomeError(badRequest('The signature was not made by that wallet over the link statement', 'signature'));
    }
    const row: Row = { patient_id: patientId, address: address.toLowerCase(), custody: 'wallet', sealed_key: null };
    this.statements.insert.run(row.patient_id, row.address, row.custody, null, Date.now());
    return this.remember(row);
  }

  /** The custodial signer; only for an authenticated patient action. */
  custodialSigner(patientId: string): Wallet {
    const row = this.statements.one.get(patientId) as Row | undefined;
    if (!row) throw new OperationOutcomeError(notFound);
    if (row.custody !== 'custodial' || !row.sealed_key) {
      throw new OperationOutcomeError(conflict('This patient holds their own wallet: send the signature made with it'));
    }
    const key = this.vault.open(compartment(patientId), keyLabel(patientId), row.sealed_key);
    return new Wallet(`0x${key.toString('hex')}`);
  }

  /** Forgets the patient's key and address (erasure). The sealed key is already unreadable by then. */
  forget(patientId: string): void {
    const record = this.byPatient.get(patientId);
    this.statements.remove.run(patientId);
    this.byPatient.delete(patientId);
    if (record) this.byAddress.delete(record.address);
  }

  private remember(row: Row): PatientKeyRecord {
    const record: PatientKeyRecord = { patientId: row.patient_id, address: row.address as Hex, custody: row.custody };
    this.byPatient.set(record.patientId, record);
    this.byAddress.set(record.address, record.patientId);
    return record;
  }
}

export function compartment(patientId: string): string {
  return `Patient/${patientId}`;
}

function keyLabel(patientId: string): string {
  return `careledger-patient-key:${patientId}`;
}
