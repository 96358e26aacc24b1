// `duplicates`: no line of the claim was billed before, by this hospital or another. Each line's
// fingerprint (claims key) is looked up in the pinned ClaimRegistry; the earliest registration must
// be this claim's own (the provider member, this claim's tag), else the report names the member,
// anchor, block and transaction that hold the earlier one. A line registered by nobody yet (the
// hospital registers after anchoring) leaves the check unestablished.
import type { ClaimFingerprintRecord, ClaimFingerprintReader, Hex } from '../../ledger/ports.js';
import { claimLineFingerprints, claimTagOf } from '../claim-fingerprint.js';
import type { ClaimCheck, Evidence } from '../claim-report.js';
import { type ClaimContext, keyOf } from './claim-context.js';

export interface DuplicateInputs {
  /** The consortium's claims key; null when the payer gave none. */
  claimsKey: Buffer | null;
  /** The pinned ClaimRegistry; null when the trust file pins none. */
  fingerprints: ClaimFingerprintReader | null;
  /** The claim's provider member (provider-member), else the member that anchored the Claim. */
  member: Hex | null;
}

function registrationEvidence(line: number, r: ClaimFingerprintRecord, note: string, status?: Evidence['status']): Evidence {
  return { line, member: r.member, sequence: r.anchorSequence.toString(), block: r.blockNumber, blockTime: new Date(r.blockTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), tx: r.txHash, fingerprint: r.fingerprint, ...(status ? { status } : {}), note };
}

export async function checkDuplicates(ctx: ClaimContext, inputs: DuplicateInputs): Promise<ClaimCheck> {
  const name = 'duplicates';
  if (!inputs.claimsKey) return { name, status: 'skip', detail: 'no claims key given (--claims-key FILE, the key the consortium shares with its payers): fingerprints cannot be computed', evidence: [] };
  if (!inputs.fingerprints) return { name, status: 'skip', detail: 'the trust file pins no ClaimRegistry: ask the consortium for a current trust file', evidence: [] };
  const member = inputs.member ?? ctx.anchored.get(keyOf(ctx.claim))?.anchor.member ?? null;
  if (!member) return { name, status: 'skip', detail: 'neither the provider nor a verified anchor names the member whose claim this is', evidence: [] };
  const key = inputs.claimsKey;
  const own = claimTagOf(key, member, String(ctx.claim.id));
  const lines = claimLineFingerprints(ctx.claim, ctx.resolve, key);
  const evidence: Evidence[] = [];
  let duplicates = 0;
  let unknown = 0;
  let later = 0;
  const lookups = new Map<Hex, Promise<ClaimFingerprintRecord[]>>();
  for (const line of lines) {
    if (line.fingerprint === null) {
      unknown++;
      evidence.push({ line: line.sequence, status: 'skip', note: `cannot be fingerprinted: no ${line.missing}` });
      continue;
    }
    let registrations: ClaimFingerprintRecord[];
    try {
      if (!lookups.has(line.fingerprint)) lookups.set(line.fingerprint, inputs.fingerprints.registrations(line.fingerprint));
      registrations = await lookups.get(line.fingerprint)!;
    } catch (error) {
      unknown++;
      evidence.push({ line: line.sequence, fingerprint: line.fingerprint, status: 'skip', note: `could not read the ClaimRegistry: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const isOwn = (r: ClaimFingerprintRecord) => r.member.toLowerCase() === member.toLowerCase() && r.claimTag.toLowerCase() === own;
    const firstOwn = registrations.findIndex(isOwn);
    const before = (firstOwn === -1 ? registrations : registrations.slice(0, firstOwn)).filter((r) => !isOwn(r));
    if (before.length > 0) {
      duplicates++;
      for (const r of before) evidence.push(registrationEvidence(line.sequence, r, 'the same service was registered earlier for another claim: this line bills it again', 'fail'));
      continue;
    }
    if (firstOwn === -1) {
      unknown++;
      evidence.push({ line: line.sequence, fingerprint: line.fingerprint, status: 'skip', note: 'not registered in the ClaimRegistry yet: the hospital registers a claim after its batch is anchored; retry later' });
      continue;
    }
    evidence.push(registrationEvidence(line.sequence, registrations[firstOwn]!, 'first registration of this service: this claim'));
    for (const r of registrations.slice(firstOwn + 1).filter((r) => !isOwn(r))) {
      later++;
      evidence.push(registrationEvidence(line.sequence, r, 'the same service was registered again later, for another claim', 'warn'));
    }
  }
  if (duplicates > 0) return { name, status: 'fail', detail: `${duplicates} line(s) bill a service registered before for another claim`, evidence };
  if (unknown > 0) return { name, status: 'skip', detail: `${unknown} line(s) could not be checked for duplicates`, evidence };
  if (later > 0) return { name, status: 'warn', detail: `this claim registered its ${lines.length} line(s) first; ${later} later claim(s) bill the same service`, evidence };
  return { name, status: 'pass', detail: `each of the ${lines.length} line(s) was registered first by this claim and by no other`, evidence };
}
