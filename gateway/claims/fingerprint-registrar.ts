// The node's side of duplicate detection: once a batch is anchored, the fingerprint of every line of
// every Claim version in it is registered in ClaimRegistry under that anchor's sequence and the
// claim's tag. Off the intake path (the anchorer's callback only queues the sequence) and one batch
// at a time, in anchor order, so registrations follow the journal. A line already registered for
// its claim (an earlier version, or a run cut short by a restart) is not sent again.
import { OperationOutcomeError } from '@medplum/core';
import type { ClaimFingerprintPort, ClaimLineRegistration, Hex } from '../ledger/ports.js';
import { ClaimRejectedError } from '../ledger/claim-errors.js';
import type { BatchedVersion } from '../anchoring/ports.js';
import type { FhirResource, ResourceService } from '../store/service.js';
import { claimLineFingerprints, claimTagOf } from './claim-fingerprint.js';
import { focalCoverageRef, claimLines, referenceOf, renderingPractitionerRefs } from './claim-lines.js';
import { parseReference } from './evidence-index.js';

export interface FingerprintRegistrarDeps {
  /** The versions journaled in one batch (ReceiptService.batchVersions). */
  batchVersions(batchSeq: number, afterJournalSeq: number, limit: number): BatchedVersion[];
  store: Pick<ResourceService, 'read' | 'vread'>;
  fingerprints: ClaimFingerprintPort;
  memberId: Hex;
  claimsKey: Buffer;
  /** A batch that could not be registered; it is retried after `retryMs` unless the contract refused it. */
  onError(error: unknown, batchSeq: number): void;
  retryMs?: number;
}

export interface FingerprintRegistrar {
  /** For the capability's batchAnchored hook. */
  batchAnchored(sequence: number): void;
  /** Resolves when every batch queued so far is registered (or given up). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const SLICE = 256;

export function startFingerprintRegistrar(deps: FingerprintRegistrarDeps): FingerprintRegistrar {
  const queue: number[] = [];
  let running: Promise<void> | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const kick = (): void => {
    if (stopped || running || queue.length === 0) return;
    running = drain().finally(() => {
      running = undefined;
      kick();
    });
  };

  async function drain(): Promise<void> {
    while (!stopped && queue.length > 0) {
      const sequence = queue[0]!;
      try {
        await registerBatch(deps, sequence);
        queue.shift();
      } catch (error) {
        deps.onError(error, sequence);
        queue.shift();
        // A refusal by the contract will not change on retry; anything else (the chain away) may.
        if (!(error instanceof ClaimRejectedError) && !stopped) {
          retry = setTimeout(() => {
            queue.unshift(sequence);
            kick();
          }, deps.retryMs ?? 5_000);
          retry.unref();
          return;
        }
      }
    }
  }

  return {
    batchAnchored(sequence) {
      if (stopped) return;
      queue.push(sequence);
      kick();
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      while (running) await running;
    },
  };
}

async function registerBatch(deps: FingerprintRegistrarDeps, sequence: number): Promise<void> {
  const lines: ClaimLineRegistration[] = [];
  const seen = new Set<string>();
  for (let after = 0; ; ) {
    const versions = deps.batchVersions(sequence, after, SLICE);
    if (versions.length === 0) break;
    after = versions[versions.length - 1]!.journalSeq;
    for (const version of versions) {
      if (version.type !== 'Claim') continue;
      for (const line of await claimRegistrations(deps, version)) {
        const key = `${line.fingerprint}/${line.claimTag}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (!(await deps.fingerprints.isRegistered(line.fingerprint, deps.memberId, line.claimTag))) lines.push(line);
      }
    }
  }
  for (let i = 0; i < lines.length; i += deps.fingerprints.maxLinesPerCall) {
    await deps.fingerprints.register(BigInt(sequence), lines.slice(i, i + deps.fingerprints.maxLinesPerCall));
  }
}

/** The lines of one Claim version that can be fingerprinted; the others are the verifier's to report. */
async function claimRegistrations(deps: FingerprintRegistrarDeps, version: BatchedVersion): Promise<ClaimLineRegistration[]> {
  const stored = await deps.store.vread('Claim', version.id, String(version.versionId)).catch(absent);
  if (!stored || stored.deleted) return [];
  const claim = stored.resource;
  const resolved = await preload(deps.store, claim);
  const claimTag = claimTagOf(deps.claimsKey, deps.memberId, version.id);
  return claimLineFingerprints(claim, (ref) => resolved.get(keyOfRef(ref) ?? ''), deps.claimsKey).flatMap((line) =>
    line.fingerprint ? [{ claimTag, fingerprint: line.fingerprint }] : [],
  );
}

/** Not found, deleted or erased: the line has no fingerprint, and the verifier says why. Other errors propagate. */
function absent(error: unknown): null {
  if (error instanceof OperationOutcomeError) return null;
  throw error;
}

function keyOfRef(reference: string): string | null {
  const ref = parseReference(reference);
  return ref ? `${ref.type}/${ref.id}` : null;
}

/** The resources the fingerprint reads (the focal Coverage, the rendering practitioners behind their roles), current versions. */
async function preload(store: Pick<ResourceService, 'read'>, claim: FhirResource): Promise<Map<string, FhirResource>> {
  const out = new Map<string, FhirResource>();
  const load = async (reference: string | null): Promise<FhirResource | undefined> => {
    const key = reference ? keyOfRef(reference) : null;
    if (!key) return undefined;
    if (!out.has(key)) {
      const [type, id] = key.split('/') as [string, string];
      const stored = await store.read(type, id).catch(absent);
      if (!stored || stored.deleted) return undefined;
      out.set(key, stored.resource);
    }
    return out.get(key);
  };
  await load(focalCoverageRef(claim));
  for (const line of claimLines(claim)) {
    for (const ref of renderingPractitionerRefs(claim, line)) {
      const resource = await load(ref);
      if (resource?.resourceType === 'PractitionerRole') await load(referenceOf(resource.practitioner));
    }
  }
  return out;
}
