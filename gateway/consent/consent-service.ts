// Grants and revocations on behalf of a patient. The node checks a consent before the chain does
// (the signer is the patient's address, the nonce is the patient's next one, so a forged, tampered
// or replayed consent never costs a transaction), signs with the custodial key when the patient
// has no wallet, submits as this member so the patient pays no gas, applies the mined event to its
// grant cache at once, and documents the grant as an R5 Consent in the patient's compartment.

import { OperationOutcomeError, badRequest, conflict, getStatus, notFound } from '@medplum/core';
import { memberIdOf } from '../crypto/digest.js';
import { ConsentRejectedError } from '../ledger/consent-errors.js';
import type { ConsentGrantRecord, ConsentPort, Hex } from '../ledger/ports.js';
import type { FhirResource, ResourceService } from '../store/service.js';
import { type ConsentScope, canonicalScope } from './consent-scope.js';
import { consentResource, revokedConsent } from './consent-resource.js';
import type { GrantCache } from './grant-cache.js';
import type { GrantScopes } from './grant-scopes.js';
import type { PatientKeyRecord, PatientKeys } from './patient-keys.js';
import { purposeCodes, purposeMask } from './purpose-of-use.js';
import {
  CONSENT_TYPES,
  REVOCATION_TYPES,
  type ConsentDomain,
  type ConsentMessage,
  consentDigest,
  contractTerms,
  practitionerHash,
  recoverSigner,
  revocationDigest,
  typedDataRequest,
  typedDomain,
} from './typed-data.js';

export interface GrantRequest {
  grantee: { memberId?: string; orgId?: string; practitioner?: string };
  actions: string[];
  categories: string[];
  purposes: string[];
  /** Seconds since the epoch; default now. */
  notBefore?: number;
  notAfter: number;
  /** Wallet-signed consents only: the nonce and the signature over the typed data. */
  nonce?: string | number;
  signature?: string;
}

export interface GrantOutcome {
  grantId: Hex;
  txHash: Hex;
  blockNumber: number;
  consent: FhirResource;
}

export interface GrantView {
  grantId: Hex;
  status: 'active' | 'revoked' | 'expired' | 'not-yet-valid';
  granteeMember: Hex;
  granteePractitioner: Hex;
  scope: ConsentScope | null;
  purposes: string[];
  notBefore: string;
  notAfter: string;
  revokedAt: string | null;
  recordedBy: Hex;
  consent: string | null;
  txHash: Hex | null;
}

const MAX_WINDOW_SECONDS = 10 * 365 * 24 * 3600;

export class ConsentService {
  private readonly patientQueues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly port: ConsentPort,
    private readonly cache: GrantCache,
    private readonly scopes: GrantScopes,
    private readonly keys: PatientKeys,
    private readonly store: ResourceService,
    private readonly now: () => number = Date.now,
  ) {}

  get domain(): ConsentDomain {
    return { chainId: this.port.chainId, verifyingContract: this.port.contract };
  }

  /** The EIP-712 request a wallet-holding patient signs for these terms (nonce included). */
  async consentTypedData(patientId: string, request: GrantRequest) {
    const record = await this.patientKey(patientId, false);
    const { message } = await this.draft(record, request, await this.port.nonceOf(record.address));
    return typedDataRequest(this.domain, message);
  }

  async grant(patientId: string, request: GrantRequest): Promise<GrantOutcome> {
    return this.serially(patientId, async () => {
      const record = await this.patientKey(patientId, request.signature === undefined);
      const chainNonce = await this.port.nonceOf(record.address);
      let nonce = chainNonce;
      let signature: Hex;
      if (request.signature !== undefined) {
        nonce = this.statedNonce(request.nonce, chainNonce);
      }
      const { message, scope } = await this.draft(record, request, nonce);
      const grantId = consentDigest(this.domain, message);
      if (request.signature !== undefined) {
        signature = this.checkedSignature(request.signature, grantId, record.address);
      } else {
        signature = (await (await this.keys.custodialSigner(patientId)).signTypedData(typedDomain(this.domain), CONSENT_TYPES, message)) as Hex;
      }

      await this.scopes.record(grantId, patientId, scope);
      let tx;
      try {
        tx = await this.port.grant(contractTerms(message), signature);
      } catch (error) {
        await this.scopes.remove(grantId);
        throw chainRefusal(error);
      }
      this.cache.apply([{ kind: 'granted', ...tx }]);
      const consent = await this.store.create(
        consentResource({
          patientId,
          grantId,
          domain: this.domain,
          message,
          signature,
          grantee: {
            memberId: message.granteeMember,
            ...(request.grantee.orgId ? { orgId: request.grantee.orgId } : {}),
            ...(request.grantee.practitioner ? { practitionerId: request.grantee.practitioner } : {}),
          },
          custody: record.custody,
          recorded: new Date(this.now()),
        }),
      );
      await this.scopes.attach(grantId, consent.resource.id!, tx.txHash);
      return { grantId, txHash: tx.txHash, blockNumber: tx.blockNumber, consent: consent.resource };
    });
  }

  /** The EIP-712 Revocation a wallet-holding patient signs. */
  async revocationTypedData(patientId: string, grantId: Hex) {
    const record = await this.patientKey(patientId, false);
    await this.liveGrant(record, grantId);
    const nonce = await this.port.nonceOf(record.address);
    return {
      domain: typedDomain(this.domain),
      types: REVOCATION_TYPES,
      primaryType: 'Revocation' as const,
      message: { grantId, nonce: nonce.toString() },
    };
  }

  async revoke(patientId: string, grantId: Hex, wallet: { signature?: string; nonce?: string | number } = {}) {
    return this.serially(patientId, async () => {
      const record = await this.patientKey(patientId, false);
      await this.liveGrant(record, grantId);
      const chainNonce = await this.port.nonceOf(record.address);
      let nonce = chainNonce;
      let signature: Hex;
      if (wallet.signature !== undefined) {
        nonce = this.statedNonce(wallet.nonce, chainNonce);
        signature = this.checkedSignature(wallet.signature, revocationDigest(this.domain, { grantId, nonce }), record.address);
      } else {
        signature = (await (await this.keys.custodialSigner(patientId)).signTypedData(typedDomain(this.domain), REVOCATION_TYPES, { grantId, nonce })) as Hex;
      }
      let tx;
      try {
        tx = await this.port.revokeWithSignature(grantId, nonce, signature);
      } catch (error) {
        throw chainRefusal(error);
      }
      this.cache.apply([{ kind: 'revoked', grantId, patient: record.address, ...tx }]);
      const local = this.scopes.get(grantId);
      if (local?.consentId) {
        const current = await this.store.read('Consent', local.consentId);
        await this.store.update('Consent', local.consentId, revokedConsent(current.resource));
      }
      return { grantId, txHash: tx.txHash, blockNumber: tx.blockNumber, revokedAt: new Date(tx.blockTime * 1000).toISOString() };
    });
  }

  /** Every grant of the patient on the ledger, with the clear scope when this node recorded it. */
  list(patientId: string): GrantView[] {
    const record = this.keys.get(patientId);
    if (!record) return [];
    const nowSeconds = Math.floor(this.now() / 1000);
    return this.cache.grantsFor(record.address).map((grant) => {
      const local = this.scopes.get(grant.grantId);
      return {
        grantId: grant.grantId,
        status: statusOf(grant, nowSeconds),
        granteeMember: grant.granteeMember,
        granteePractitioner: grant.granteePractitioner,
        scope: local?.scope ?? null,
        purposes: purposeCodes(grant.purposes),
        notBefore: iso(grant.notBefore),
        notAfter: iso(grant.notAfter),
        revokedAt: grant.revokedAt === null ? null : iso(grant.revokedAt),
        recordedBy: grant.recordedBy,
        consent: local?.consentId ? `Consent/${local.consentId}` : null,
        txHash: local?.txHash ?? null,
      };
    });
  }

  /** Active grants of a patient (erasure revokes them while the custodial key still exists). */
  activeGrants(patientId: string): ConsentGrantRecord[] {
    const record = this.keys.get(patientId);
    if (!record) return [];
    const nowSeconds = Math.floor(this.now() / 1000);
    return this.cache.grantsFor(record.address).filter((grant) => statusOf(grant, nowSeconds) === 'active');
  }

  private async draft(record: PatientKeyRecord, request: GrantRequest, nonce: bigint): Promise<{ message: ConsentMessage; scope: ConsentScope }> {
    const scope = canonicalScope(request);
    const granteeMember = granteeMemberId(request.grantee);
    const nowSeconds = Math.floor(this.now() / 1000);
    const notBefore = request.notBefore ?? nowSeconds;
    const notAfter = request.notAfter;
    if (!Number.isSafeInteger(notBefore) || !Number.isSafeInteger(notAfter) || notBefore < 0) {
      throw new OperationOutcomeError(badRequest('notBefore and notAfter must be whole seconds since the epoch', 'notAfter'));
    }
    if (notAfter <= notBefore || notAfter <= nowSeconds) {
      throw new OperationOutcomeError(badRequest('notAfter must be after notBefore and in the future', 'notAfter'));
    }
    if (notAfter - notBefore > MAX_WINDOW_SECONDS) throw new OperationOutcomeError(badRequest('A consent may last at most ten years', 'notAfter'));
    const message: ConsentMessage = {
      patient: record.address,
      granteeMember,
      granteePractitioner: practitionerHash(granteeMember, request.grantee.practitioner),
      actions: scope.actions,
      categories: scope.categories,
      purposes: purposeMask(request.purposes ?? []),
      notBefore,
      notAfter,
      nonce,
    };
    return { message, scope };
  }

  /**
   * Throws 404 (or 410 once erased) unless this hospital holds the Patient: keys, sessions, wallet
   * links and grants exist only for patients the hospital knows, never for an id someone made up.
   */
  async requirePatient(patientId: string): Promise<void> {
    try {
      await this.store.read('Patient', patientId);
    } catch (error) {
      if (error instanceof OperationOutcomeError && getStatus(error.outcome) === 404) {
        const text = `No Patient/${patientId} is held at this hospital: create the Patient resource first`;
        throw new OperationOutcomeError({ ...notFound, issue: [{ severity: 'error', code: 'not-found', details: { text } }] });
      }
      throw error;
    }
  }

  /** The patient's custodial key, created on first use, for a patient this hospital holds. */
  async custodialKey(patientId: string): Promise<{ record: PatientKeyRecord; created: boolean }> {
    const existing = this.keys.get(patientId);
    if (existing) return { record: existing, created: false };
    await this.requirePatient(patientId);
    return { record: await this.keys.ensureCustodial(patientId), created: true };
  }

  private async patientKey(patientId: string, createCustodial: boolean): Promise<PatientKeyRecord> {
    // Only a patient the hospital holds (and has not erased) can consent here.
    await this.requirePatient(patientId);
    const record = this.keys.get(patientId) ?? (createCustodial ? await this.keys.ensureCustodial(patientId) : null);
    if (!record) {
      throw new OperationOutcomeError(
        conflict('The patient has no key yet: link their wallet, or create a custodial key (POST .../custodial-key)'),
      );
    }
    return record;
  }

  private async liveGrant(record: PatientKeyRecord, grantId: Hex): Promise<ConsentGrantRecord> {
    const grant = this.cache.get(grantId) ?? (await this.port.getGrant(grantId));
    if (!grant || grant.patient !== record.address) throw new OperationOutcomeError(notFound);
    if (grant.revokedAt !== null) throw new OperationOutcomeError(conflict('The consent is already revoked'));
    return grant;
  }

  private statedNonce(stated: string | number | undefined, chainNonce: bigint): bigint {
    if (stated === undefined || !/^\d{1,78}$/.test(String(stated))) {
      throw new OperationOutcomeError(badRequest('A wallet-signed message must carry the nonce it was signed with', 'nonce'));
    }
    const nonce = BigInt(stated);
    if (nonce < chainNonce) throw new OperationOutcomeError(conflict(`Nonce ${nonce} was already used (replayed message); the next is ${chainNonce}`));
    if (nonce > chainNonce) throw new OperationOutcomeError(conflict(`Nonce ${nonce} is ahead of the patient's next nonce ${chainNonce}`));
    return nonce;
  }

  private checkedSignature(signature: string, digest: Hex, patient: Hex): Hex {
    const signer = recoverSigner(digest, signature);
    if (signer === null) throw new OperationOutcomeError(badRequest('The signature is malformed (65 bytes, v 27/28, low s expected)', 'signature'));
    if (signer !== patient) {
      throw new OperationOutcomeError(
        badRequest("The signature is not the patient's over these terms (wrong signer, or a field changed after signing)", 'signature'),
      );
    }
    return signature.toLowerCase() as Hex;
  }

  private serially<T>(patientId: string, work: () => Promise<T>): Promise<T> {
    // One consent operation per patient at a time: each consumes the patient's next nonce.
    const previous = this.patientQueues.get(patientId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    const settled = run.catch(() => undefined);
    this.patientQueues.set(patientId, settled);
    void settled.then(() => {
      if (this.patientQueues.get(patientId) === settled) this.patientQueues.delete(patientId);
    });
    return run;
  }
}

function granteeMemberId(grantee: GrantRequest['grantee']): Hex {
  if (grantee?.memberId) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(grantee.memberId)) throw new OperationOutcomeError(badRequest('grantee.memberId must be a bytes32 hex id', 'grantee'));
    return grantee.memberId.toLowerCase() as Hex;
  }
  if (grantee?.orgId) return memberIdOf(grantee.orgId);
  throw new OperationOutcomeError(badRequest('grantee must name the member (orgId or memberId)', 'grantee'));
}

function chainRefusal(error: unknown): unknown {
  if (!(error instanceof ConsentRejectedError)) return error;
  const text = `The consent registry refused: ${error.reason}`;
  if (error.reason === 'InvalidNonce' || error.reason === 'AlreadyRevoked') return new OperationOutcomeError(conflict(text));
  return new OperationOutcomeError(badRequest(text));
}

function statusOf(grant: ConsentGrantRecord, now: number): GrantView['status'] {
  if (grant.revokedAt !== null) return 'revoked';
  if (now < grant.notBefore) return 'not-yet-valid';
  return now < grant.notAfter ? 'active' : 'expired';
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
