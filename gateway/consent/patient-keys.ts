// Patient keys. On chain a patient is an address and nothing else. A patient who holds a wallet
// links its address (proving control with a signature); for everyone else the hospital creates a
// fresh secp256k1 key per patient (never reused across patients) and keeps it sealed in the
// vault under the patient's own compartment key, which the node's master key wraps. Erasing the
// patient shreds that compartment key, and with it the custodial key. The key is opened only to
// sign a consent or revocation after an authenticated patient action (patient-routes.ts).

import { conflict, notFound, OperationOutcomeError, badRequest } from '@medplum/core';
import { Wallet, verifyMessage } from 'ethers';
import type { Hex } from '../ledger/ports.js';
import type { Vault } from '../store/vault.js';
import type { Custody, PatientKeyTable, StoredPatientKey } from './consent-tables.js';

export interface PatientKeyRecord {
  patientId: string;
  address: Hex;
  custody: Custody;
}

/** Every address is held in memory (loaded at start): the per-read consent decision looks them up. */
export class PatientKeys {
  private readonly byPatient = new Map<string, PatientKeyRecord>();
  private readonly byAddress = new Map<Hex, string>();

  private constructor(
    private readonly table: PatientKeyTable,
    private readonly vault: Vault,
    /** This node's member id: wallet link proofs name it, so a proof for one hospital is useless at another. */
    private readonly memberId: Hex,
  ) {}

  static async open(table: PatientKeyTable, vault: Vault, memberId: Hex): Promise<PatientKeys> {
    const keys = new PatientKeys(table, vault, memberId);
    for (const stored of await table.all()) keys.remember(stored);
    return keys;
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
  async ensureCustodial(patientId: string): Promise<PatientKeyRecord> {
    const existing = this.get(patientId);
    if (existing) return existing;
    const wallet = Wallet.createRandom();
    const sealedKey = this.vault.seal(compartment(patientId), keyLabel(patientId), Buffer.from(wallet.privateKey.slice(2), 'hex'));
    return this.add({ patientId, address: wallet.address.toLowerCase(), custody: 'custodial', sealedKey });
  }

  /** The statement a wallet signs (EIP-191) to prove it belongs to the patient record. */
  linkStatement(patientId: string, address: string): string {
    return `careledger: link wallet ${address.toLowerCase()} to patient record ${patientId} at member ${this.memberId}`;
  }

  async linkWallet(patientId: string, address: string, signature: string): Promise<PatientKeyRecord> {
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
    return this.add({ patientId, address: address.toLowerCase(), custody: 'wallet', sealedKey: null });
  }

  /** The custodial signer; only for an authenticated patient action. */
  async custodialSigner(patientId: string): Promise<Wallet> {
    const stored = await this.table.get(patientId);
    if (!stored) throw new OperationOutcomeError(notFound);
    if (stored.custody !== 'custodial' || !stored.sealedKey) {
      throw new OperationOutcomeError(conflict('This patient holds their own wallet: send the signature made with it'));
    }
    const key = this.vault.open(compartment(patientId), keyLabel(patientId), stored.sealedKey);
    return new Wallet(`0x${key.toString('hex')}`);
  }

  /** Forgets the patient's key and address (erasure). The sealed key is already unreadable by then. */
  async forget(patientId: string): Promise<void> {
    await this.table.remove(patientId);
    this.unremember(patientId);
  }

  /**
   * Remembered before the write is awaited, so a second call for the same patient or address
   * while it is in flight sees it (and is refused or answered with it) instead of racing it into
   * the table's unique constraints; forgotten again when the write fails.
   */
  private async add(stored: StoredPatientKey): Promise<PatientKeyRecord> {
    const written = this.table.insert(stored, Date.now());
    const record = this.remember(stored);
    try {
      await written;
    } catch (error) {
      this.unremember(stored.patientId);
      throw error;
    }
    return record;
  }

  private remember(stored: StoredPatientKey): PatientKeyRecord {
    const record: PatientKeyRecord = { patientId: stored.patientId, address: stored.address as Hex, custody: stored.custody };
    this.byPatient.set(record.patientId, record);
    this.byAddress.set(record.address, record.patientId);
    return record;
  }

  private unremember(patientId: string): void {
    const record = this.byPatient.get(patientId);
    this.byPatient.delete(patientId);
    if (record) this.byAddress.delete(record.address);
  }
}

export function compartment(patientId: string): string {
  return `Patient/${patientId}`;
}

function keyLabel(patientId: string): string {
  return `careledger-patient-key:${patientId}`;
}
