// `licence`: each rendering practitioner held a licence on the date of service. When the trust file
// pins a LicenceRegistry and the anchored Practitioner carries its key (identifier
// urn:careledger:practitioner-key), the registry decides: a credential a LICENSING member issued
// for that key, valid that day and not revoked before it (telehealth licence-check.ts). Otherwise,
// or when the registry holds nothing for the key, the anchored Practitioner.qualification is the
// evidence (a qualification with a period is a licence; R4 and R5 read the same). A practitioner
// with neither leaves the check unestablished (skip), never passed.
import type { Hex, LicenceReader } from '../../ledger/ports.js';
import type { FhirResource } from '../../store/service.js';
import { licenceValidOn } from '../../telehealth/licence-check.js';
import { PRACTITIONER_KEY_SYSTEM, practitionerBehind } from '../claim-fingerprint.js';
import { claimLines, dateOfService, dayOf, renderingPractitionerRefs } from '../claim-lines.js';
import type { ClaimCheck, Evidence } from '../claim-report.js';
import { type ClaimContext, versionOf } from './claim-context.js';

interface Licence {
  label: string;
  start: string | null;
  end: string | null;
}

function licencesOf(practitioner: FhirResource): Licence[] {
  const qualifications = Array.isArray(practitioner.qualification) ? (practitioner.qualification as Array<Record<string, any>>) : [];
  return qualifications
    .filter((q) => q?.period && (q.period.start || q.period.end))
    .map((q) => ({
      label: String(q.identifier?.[0]?.value ?? q.code?.coding?.[0]?.code ?? q.code?.text ?? 'qualification'),
      start: dayOf(q.period.start),
      end: dayOf(q.period.end),
    }));
}

const span = (l: Licence) => `${l.label} ${l.start ?? '…'}..${l.end ?? 'open'}`;
const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

function keyOf(practitioner: FhirResource): Hex | null {
  const identifiers = Array.isArray(practitioner.identifier) ? (practitioner.identifier as Array<{ system?: unknown; value?: unknown }>) : [];
  const key = identifiers.find((i) => i?.system === PRACTITIONER_KEY_SYSTEM && typeof i.value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(i.value));
  return key ? ((key.value as string).toLowerCase() as Hex) : null;
}

/** The registry's answer, or null when it has nothing to say about this practitioner. */
async function credentialEvidence(licences: Pick<LicenceReader, 'licencesOf'>, practitioner: FhirResource, date: string): Promise<{ status: 'pass' | 'warn' | 'fail'; note: string } | null> {
  const key = keyOf(practitioner);
  if (!key) return null;
  const answer = await licenceValidOn(licences, key, date);
  if (!answer.licence) return null;
  const { credentialHash, issuerMember, validFrom, validUntil } = answer.licence;
  const what = `credential ${credentialHash} of ${key} by LICENSING member ${issuerMember}, ${day(validFrom)}..${day(validUntil - 1)}`;
  if (!answer.valid) return { status: 'fail', note: `not licensed on ${date}: the LicenceRegistry's latest is ${what}${answer.licence.revokedAt !== null ? `, revoked ${day(answer.licence.revokedAt)}` : ''}` };
  if (answer.revokedSince) return { status: 'warn', note: `licensed on ${date} (${what}), revoked since` };
  return { status: 'pass', note: `licensed on ${date}: ${what}` };
}

/** `licences`: the pinned LicenceRegistry (trust file), null when it pins none. */
export async function checkLicences(ctx: ClaimContext, licences: Pick<LicenceReader, 'licencesOf'> | null): Promise<ClaimCheck> {
  const name = 'licence';
  const evidence: Evidence[] = [];
  let lapsed = 0;
  let unknown = 0;
  let held = 0;
  let warned = 0;
  for (const line of claimLines(ctx.claim)) {
    const date = dateOfService(line, ctx.claim);
    for (const ref of renderingPractitionerRefs(ctx.claim, line)) {
      const practitioner = practitionerBehind(ref, ctx.resolve);
      if (!practitioner || !date) {
        unknown++;
        evidence.push({ line: line.sequence, status: 'skip', note: `${ref}: ${practitioner ? 'the line has no date of service' : 'not in the bundle'}` });
        continue;
      }
      const at = { line: line.sequence, resource: versionOf(practitioner) };
      const credential = licences ? await credentialEvidence(licences, practitioner, date) : null;
      if (credential) {
        if (credential.status === 'fail') lapsed++;
        else held++;
        if (credential.status === 'warn') warned++;
        evidence.push({ ...at, ...(credential.status === 'pass' ? {} : { status: credential.status }), note: credential.note });
        continue;
      }
      const qualifications = licencesOf(practitioner);
      if (qualifications.length === 0) {
        unknown++;
        evidence.push({ ...at, status: 'skip', note: `no licence credential${licences ? '' : ' (no LicenceRegistry pinned)'} and no dated qualification in the anchored Practitioner` });
        continue;
      }
      const valid = qualifications.find((l) => (l.start === null || l.start <= date) && (l.end === null || date <= l.end));
      if (valid) {
        held++;
        evidence.push({ ...at, note: `licensed on ${date}: ${span(valid)}` });
      } else {
        lapsed++;
        evidence.push({ ...at, status: 'fail', note: `not licensed on ${date}: ${qualifications.map(span).join('; ')}` });
      }
    }
  }
  if (lapsed > 0) return { name, status: 'fail', detail: `${lapsed} rendering practitioner(s) held no licence valid on the date of service`, evidence };
  if (unknown > 0 || held === 0) return { name, status: 'skip', detail: `${unknown || 'no'} rendering practitioner(s) have no licence evidence to judge by`, evidence };
  if (warned > 0) return { name, status: 'warn', detail: `every rendering practitioner held a licence on the date of service; ${warned} was revoked since`, evidence };
  return { name, status: 'pass', detail: `every rendering practitioner held a licence valid on the date of service (${held} checked)`, evidence };
}
