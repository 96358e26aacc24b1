// The performance patches of medplum-core.mjs must not change a single issue medplum reports.
// Pristine @medplum/core and the patched copy validate the same corpus (valid resources of every
// type intake handles, and many broken variants of each) and must agree issue for issue.

import * as pristine from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticR4 } from '../../test/support/synthetic-fhir.js';
import { PATCHES, loadValidationCore, patchBundle } from './medplum-core.mjs';
import { validationCore } from './r4-validator.mjs';

const require = createRequire(import.meta.url);
const SYNTHEA = fileURLToPath(new URL('../../../shared/data/synthea-10/', import.meta.url));

type Json = Record<string, unknown>;
type Core = typeof pristine;

const ref = (reference: string) => ({ reference });
const concept = (code: string) => ({ coding: [{ system: 'http://example.org/codes', code }], text: code });

/** Resources of the types intake converts that synthetic data does not make. */
const HAND_WRITTEN: Json[] = [
  { resourceType: 'Organization', id: 'org1', active: true, name: 'General Hospital', identifier: [{ system: 'urn:npi', value: '123' }] },
  { resourceType: 'Practitioner', id: 'pr1', name: [{ family: 'Osei', given: ['Ama'], _given: [{ extension: [{ url: 'http://example.org/x', valueString: 'y' }] }] }] },
  { resourceType: 'Condition', id: 'c1', subject: ref('Patient/p1'), code: concept('38341003'), clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, onsetDateTime: '2020-02-01' },
  {
    resourceType: 'Claim', id: 'cl1', status: 'active', type: concept('professional'), use: 'claim', patient: ref('Patient/p1'), created: '2024-01-01',
    provider: ref('Organization/org1'), priority: concept('normal'), insurance: [{ sequence: 1, focal: true, coverage: ref('Coverage/cov1') }],
    item: [{ sequence: 1, productOrService: concept('99213'), net: { value: 120, currency: 'USD' } }], total: { value: 120, currency: 'USD' },
  },
  {
    resourceType: 'ExplanationOfBenefit', id: 'eob1', status: 'active', type: concept('professional'), use: 'claim', patient: ref('Patient/p1'),
    created: '2024-01-02', insurer: ref('Organization/org1'), provider: ref('Organization/org1'), outcome: 'complete',
    insurance: [{ focal: true, coverage: ref('Coverage/cov1') }], payment: { amount: { value: 100, currency: 'USD' } },
  },
  { resourceType: 'Coverage', id: 'cov1', status: 'active', beneficiary: ref('Patient/p1'), payor: [ref('Organization/org1')], period: { start: '2024-01-01' } },
  {
    resourceType: 'Consent', id: 'co1', status: 'active', scope: concept('patient-privacy'), category: [concept('59284-0')], patient: ref('Patient/p1'),
    policyRule: concept('OPTIN'), provision: { type: 'permit', period: { start: '2024-01-01', end: '2025-01-01' } },
  },
  { resourceType: 'Provenance', id: 'pv1', target: [ref('Patient/p1')], recorded: '2024-01-01T10:00:00Z', agent: [{ who: ref('Practitioner/pr1') }] },
  {
    resourceType: 'AuditEvent', id: 'ae1', type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' }, recorded: '2024-01-01T10:00:00Z',
    source: { observer: ref('Organization/org1') }, agent: [{ requestor: true, who: ref('Practitioner/pr1') }], outcome: '0',
  },
  { resourceType: 'Appointment', id: 'ap1', status: 'booked', start: '2024-01-01T10:00:00Z', end: '2024-01-01T10:30:00Z', participant: [{ actor: ref('Patient/p1'), status: 'accepted' }] },
  { resourceType: 'DiagnosticReport', id: 'dr1', status: 'final', code: concept('58410-2'), subject: ref('Patient/p1'), result: [ref('Observation/o1')], issued: '2024-01-01T10:00:00.000Z' },
  {
    resourceType: 'Patient', id: 'px', extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'F' }],
    birthDate: '1980-05-05', _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1980-05-05T10:00:00Z' }] },
    contact: [{ name: { family: 'Doe' }, telecom: [{ system: 'phone', value: '555' }] }], deceasedBoolean: false, multipleBirthInteger: 2,
  },
];

/** Broken variants of a resource: each makes medplum report something (or probes an edge). */
function mutations(resource: Json): Json[] {
  const clone = () => structuredClone(resource);
  const out: Json[] = [];
  const push = (change: (r: Json) => void) => {
    const r = clone();
    change(r);
    out.push(r);
  };
  const firstKey = (r: Json, test: (v: unknown) => boolean) => Object.keys(r).find((k) => k !== 'resourceType' && test(r[k]));
  push((r) => (r.unknownElement = 1));
  push((r) => delete r.status);
  push((r) => (r.id = 'not a valid id!'));
  push((r) => (r.meta = {}));
  push((r) => (r.text = { status: 'generated', div: 'no markup' }));
  push((r) => (r.extension = [{ url: 'http://example.org/x', valueBoolean: 'not a boolean' }]));
  push((r) => (r.extension = [{ valueString: 'no url' }]));
  push((r) => (r.modifierExtension = [{ url: 'http://example.org/m', valueString: 'x', valueInteger: 1 }]));
  push((r) => (r._status = { extension: [{ url: 'http://example.org/s', valueString: 's' }] }));
  push((r) => (r._status = { extension: [{ valueString: 'an extension without url' }] }));
  // A primitive present only as its extension ("_status" without "status") is not absent.
  push((r) => {
    delete r.status;
    r._status = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] };
  });
  push((r) => {
    delete r.id;
    r._id = { extension: [{ url: 'http://example.org/i', valueString: 'i' }] };
  });
  push((r) => (r._id = { unknownInPrimitiveExtension: 1 }));
  push((r) => (r._id = { extension: [{ url: 'http://example.org/b', valueBoolean: 'not a boolean' }] }));
  push((r) => (r.identifier = [null]));
  push((r) => (r.identifier = []));
  push((r) => (r.contained = [{ resourceType: 'Patiant', id: 'x' }]));
  // Invariants the patches decide without FHIRPath when what they test is absent (dom-2, dom-4,
  // dom-5, obs-6, obs-7): here it is present, valid or not.
  push((r) => (r.contained = [{ resourceType: 'Organization', id: 'c1', name: 'Lab' }]));
  push((r) => (r.contained = [{ resourceType: 'Organization', id: 'c1', contained: [{ resourceType: 'Organization', id: 'c2' }] }]));
  push((r) => (r.contained = [{ resourceType: 'Organization', id: 'c1', meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00Z' } }]));
  push((r) => (r.contained = [{ resourceType: 'Organization', id: 'c1', meta: { security: [{ system: 'http://example.org/s', code: 'R' }] } }]));
  push((r) => (r._contained = [{ id: 'x' }]));
  push((r) => (r.dataAbsentReason = concept('unknown')));
  push((r) => (r.component = [{ code: r.code ?? concept('x'), valueString: 'same code as the observation' }]));
  push((r) => (r.component = [{ code: concept('other'), valueString: 'another code' }]));
  push((r) => (r.valueString = 'two choices'));
  // Two broken choices: which one medplum picks (the type order of the definition) decides the issue.
  push((r) => Object.assign(r, { valueQuantity: { value: 'not a number' }, valueString: 7 }));
  push((r) => Object.assign(r, { deceasedBoolean: 'no', deceasedDateTime: 5 }));
  push((r) => (r.effectiveDateTime = '2024-13-45'));
  push((r) => (r.subject = { reference: 'Practitioner/pr1' }));
  push((r) => (r.subject = 'Patient/p1'));
  const str = firstKey(resource, (v) => typeof v === 'string');
  if (str) {
    push((r) => (r[str] = 42));
    push((r) => (r[str] = ''));
    push((r) => (r[str] = ['array']));
  }
  const obj = firstKey(resource, (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
  if (obj) {
    push((r) => ((r[obj] as Json).nestedUnknown = true));
    push((r) => (r[obj] = {}));
    push((r) => (r[obj] = null));
  }
  const arr = firstKey(resource, (v) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object');
  if (arr) {
    push((r) => ((r[arr] as Json[])[0] = { ...(r[arr] as Json[])[0], extraElement: 'x' }));
    push((r) => (r[arr] = (r[arr] as Json[])[0]));
  }
  return out;
}

function validateWith(core: Core, resource: Json): OperationOutcomeIssue[] {
  try {
    return core.validateResource(structuredClone(resource) as never);
  } catch (error) {
    if (error instanceof core.OperationOutcomeError) return error.outcome.issue ?? [];
    return [{ severity: 'fatal', code: 'exception', diagnostics: String(error) }];
  }
}

function syntheaResources(): Json[] {
  if (!existsSync(SYNTHEA)) {
    console.warn(`medplum patch equivalence: synthea part skipped, ${SYNTHEA} is absent`);
    return [];
  }
  return readdirSync(SYNTHEA)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => readFileSync(SYNTHEA + f, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Json));
}

describe('medplum performance patches (medplum-core.mjs)', () => {
  let patched: Core;

  beforeAll(async () => {
    const loaded = await loadValidationCore();
    expect(loaded.reason).toBeUndefined();
    patched = loaded.core as Core;
    const definitions = require('./r4-validation-definitions.json');
    pristine.indexStructureDefinitionBundle(definitions);
    patched.indexStructureDefinitionBundle(definitions);
  }, 60_000);

  it('are in use: the installed @medplum/core is the build they were written for', () => {
    expect(validationCore).toEqual({ patched: true, reason: undefined });
    expect(patched).not.toBe(pristine);
  });

  it('report exactly what pristine medplum reports, for valid resources and broken variants of each', () => {
    const valid = [...syntheticR4(300, { prefix: 'eq' }), ...HAND_WRITTEN, ...syntheaResources()] as Json[];
    // Broken variants of one resource per type (the corpus above repeats types many times).
    const oneOfEachType = [...new Map(valid.map((r) => [r.resourceType, r])).values()];
    const corpus = [...valid, ...oneOfEachType.flatMap(mutations)];
    let withIssues = 0;
    for (const resource of corpus) {
      const expected = validateWith(pristine, resource);
      const actual = validateWith(patched, resource);
      if (expected.length > 0) withIssues++;
      expect(actual, `${resource.resourceType}/${resource.id}`).toEqual(expected);
    }
    // The comparison means something only if the corpus makes medplum report plenty.
    expect(withIssues).toBeGreaterThan(oneOfEachType.length * 10);
  }, 120_000);

  it('decide without FHIRPath only the invariants reviewed for it, by their terms that can be absent', () => {
    // Each plan lists, per top-level "or" term, the elements whose absence makes the term true.
    // A change to the plan parser that widens or narrows this list must be reviewed by hand.
    const prelude = PATCHES.map((patch) => (patch as { prelude?: string }).prelude).find(Boolean)!;
    const { plan } = new Function(`${prelude}; return { plan: __clAbsentPlan };`)() as { plan: (x: string) => string[][] | null };
    const planned: Record<string, string[][]> = {};
    for (const entry of require('./r4-validation-definitions.json').entry as { resource: { snapshot?: { element: { constraint?: { key: string; severity: string; expression?: string }[] }[] } } }[]) {
      for (const element of entry.resource.snapshot?.element ?? []) {
        for (const constraint of element.constraint ?? []) {
          const p = constraint.severity === 'error' && constraint.expression ? plan(constraint.expression) : null;
          if (p) planned[constraint.key] = p;
        }
      }
    }
    expect(planned).toEqual({
      'qty-3': [['code']], 'att-1': [['data']], 'cpt-2': [['value']], 'eld-5': [['contentReference']], 'eld-6': [['fixed']],
      'eld-7': [['pattern']], 'eld-8': [['pattern'], ['fixed']], 'eld-15': [['defaultValue'], ['meaningWhenMissing']],
      'rng-2': [['low'], ['high']], 'tim-1': [['duration']], 'tim-2': [['period']], 'tim-6': [['periodMax']], 'tim-7': [['durationMax']],
      'tim-8': [['countMax']], 'tim-10': [['timeOfDay'], ['when']], 'trd-1': [['data'], ['timing']], 'sqty-1': [['comparator']],
      'dom-2': [['contained']], 'dom-4': [['contained', 'contained']], 'dom-5': [['contained']], 'sev-1': [['name'], ['query']],
      'cpl-3': [['detail'], ['reference']], 'cmp-2': [['emptyReason'], ['entry']], 'fhs-1': [['age'], ['born']], 'fhs-2': [['estimatedAge']],
      'grp-1': [['member']], 'lst-1': [['emptyReason'], ['entry']], 'mdd-1': [['whenHandedOver'], ['whenPrepared']],
      'obs-6': [['dataAbsentReason'], ['value']], 'obs-7': [['value'], ['component']], 'que-4': [['answerOption'], ['answerValueSet']],
      'que-11': [['answerOption'], ['initial']], 'spd-1': [['xpath']], 'prr-1': [['orderDetail']], 'sdf-10': [['binding']],
      'tst-3': [['expression'], ['headerField'], ['path']], 'vsd-3': [['concept'], ['filter']], 'vsd-10': [['code']],
    });
    // A name the value's type holds as a choice ("value" of Observation.value[x]) is never taken as absent: checked at run
    // time against the element definition, and by the corpus above (obs-6 with a value present).
  });

  it('refuse to apply to a bundle they were not written for', () => {
    expect(() => patchBundle('export const nothing = 1;')).toThrow(/does not match/);
    const once = PATCHES[0]!.find;
    expect(() => patchBundle(`${once}\n${once}`)).toThrow(/does not match/);
  });
});
