// Which references of a resource the claim evidence follows, by resource type (R5 paths, as the
// node stores every resource). A closed table rather than "every Reference in the resource", so
// the evidence is what a payer adjudicates with and nothing more: a Patient's general
// practitioner or a Condition's recorder is not evidence for a claim, and following them would
// pull in records the payer has no purpose to see.

/** One reference found in a resource: where (a FHIRPath-like path, for messages) and what it says. */
export interface CitedReference {
  path: string;
  reference: string;
}

type Follow = readonly string[];

/**
 * Paths per type: `a.b` walks elements (arrays are walked item by item) and ends at a Reference
 * (or a CodeableReference, whose `reference` is taken).
 */
export const FOLLOWED_REFERENCES: Readonly<Record<string, Follow>> = {
  Claim: [
    'patient',
    'provider',
    'insurer',
    'enterer',
    'facility',
    'careTeam.provider',
    'insurance.coverage',
    'diagnosis.diagnosisReference',
    'procedure.procedureReference',
    'supportingInfo.valueReference',
    'encounter',
    'item.encounter',
  ],
  Encounter: ['subject', 'participant.actor', 'serviceProvider', 'diagnosis.condition'],
  Coverage: ['beneficiary', 'subscriber', 'policyHolder', 'insurer'],
  PractitionerRole: ['practitioner', 'organization'],
  Procedure: ['subject', 'encounter', 'performer.actor'],
  Condition: ['subject', 'encounter'],
  Observation: ['subject', 'encounter', 'performer'],
  DocumentReference: ['subject', 'context', 'author'],
};

/** The references `resource` cites along the followed paths of its type, in table order. */
export function citedReferences(resource: { resourceType: string; [key: string]: unknown }): CitedReference[] {
  const out: CitedReference[] = [];
  for (const path of FOLLOWED_REFERENCES[resource.resourceType] ?? []) {
    walk(resource, path.split('.'), resource.resourceType, out);
  }
  return out;
}

function walk(node: unknown, steps: string[], at: string, out: CitedReference[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => walk(item, steps, `${at}[${index}]`, out));
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (steps.length === 0) {
    // A CodeableReference carries its Reference under `reference`.
    const target = typeof record.reference === 'string' ? record.reference : (record.reference as { reference?: unknown } | undefined)?.reference;
    if (typeof target === 'string' && target.length > 0) out.push({ path: at, reference: target });
    return;
  }
  const [step, ...rest] = steps as [string, ...string[]];
  if (record[step] !== undefined) walk(record[step], rest, `${at}.${step}`, out);
}
