// `references` and `patient`: the evidence is about this claim and this patient. Every reference a
// check needs resolves inside the bundle (what the node could not include is listed in
// Bundle.issues and shows here), and every resource that names a patient names the claim's, so a
// resource swapped in from another patient's record is caught even with a genuine receipt.
import type { FhirResource } from '../../store/service.js';
import { citedReferences } from '../evidence-references.js';
import type { ClaimCheck, Evidence } from '../claim-report.js';
import type { EvidenceIndex } from '../evidence-index.js';
import { type ClaimContext, keyOf, versionOf } from './claim-context.js';

/** References a check reads; any other unresolved one is listed but decides nothing. */
const NEEDED: Readonly<Record<string, RegExp>> = {
  Claim: /^Claim\.(patient|provider|careTeam\[\d+\]\.provider|insurance\[\d+\]\.coverage|encounter\[\d+\]|item\[\d+\]\.encounter\[\d+\]|procedure\[\d+\]\.procedureReference|diagnosis\[\d+\]\.diagnosisReference|supportingInfo\[\d+\]\.valueReference)$/,
  Coverage: /^Coverage\.beneficiary$/,
  Encounter: /^Encounter\.subject$/,
  PractitionerRole: /^PractitionerRole\.practitioner$/,
};

/** Where each type names the patient it is about. */
const PATIENT_PATHS: Readonly<Record<string, string>> = {
  Claim: 'patient',
  Coverage: 'beneficiary',
  Encounter: 'subject',
  Procedure: 'subject',
  Condition: 'subject',
  Observation: 'subject',
  DocumentReference: 'subject',
  ExplanationOfBenefit: 'patient',
  DiagnosticReport: 'subject',
  MedicationRequest: 'subject',
};

export function checkReferences(index: EvidenceIndex): ClaimCheck {
  const missing: Evidence[] = [];
  const unneeded: Evidence[] = [];
  let resolved = 0;
  for (const resource of index.resources) {
    for (const cited of citedReferences(resource as FhirResource & { resourceType: string })) {
      if (index.resolve(cited.reference)) {
        resolved++;
        continue;
      }
      const needed = NEEDED[resource.resourceType]?.test(cited.path) ?? false;
      (needed ? missing : unneeded).push({ resource: versionOf(resource), status: needed ? 'fail' : 'pass', note: `${cited.path} cites ${cited.reference.slice(0, 200)}, which is not in the bundle` });
    }
  }
  const said = index.issues.map((text) => ({ note: `the bundle says: ${text}` }));
  if (missing.length > 0) {
    return { name: 'references', status: 'fail', detail: `${missing.length} reference(s) the checks need do not resolve inside the bundle: get the complete evidence from the hospital`, evidence: [...missing, ...said] };
  }
  return { name: 'references', status: 'pass', detail: `${resolved} references resolve inside the bundle${unneeded.length > 0 ? `; ${unneeded.length} not needed by any check are absent` : ''}`, evidence: [...unneeded, ...said] };
}

function patientOf(resource: FhirResource): string | null {
  const path = PATIENT_PATHS[resource.resourceType];
  const value = path ? (resource[path] as { reference?: unknown } | undefined)?.reference : undefined;
  return typeof value === 'string' ? value : null;
}

export function checkPatient(ctx: ClaimContext): ClaimCheck {
  const claimPatientRef = patientOf(ctx.claim);
  const claimPatient = claimPatientRef ? ctx.resolve(claimPatientRef) : undefined;
  if (!claimPatient || claimPatient.resourceType !== 'Patient') {
    return { name: 'patient', status: 'fail', detail: `the Claim's patient (${claimPatientRef ?? 'none'}) is not a Patient in the bundle`, evidence: [] };
  }
  const expected = keyOf(claimPatient);
  const others: Evidence[] = [];
  let checked = 0;
  for (const resource of ctx.resources) {
    const ref = patientOf(resource);
    if (!ref) continue;
    checked++;
    const named = ctx.resolve(ref);
    const key = named ? keyOf(named) : ref;
    if (key !== expected) others.push({ resource: versionOf(resource), status: 'fail', note: `is about ${key}, the claim is for ${expected}` });
  }
  if (others.length > 0) {
    return { name: 'patient', status: 'fail', detail: `${others.length} resource(s) are about another patient than the claim's: evidence swapped in from another record`, evidence: others };
  }
  return { name: 'patient', status: 'pass', detail: `the ${checked} resources that name a patient all name the claim's ${expected}`, evidence: [] };
}
