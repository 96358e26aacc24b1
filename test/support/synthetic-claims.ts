// Synthetic R4 claims the project generates itself, shaped as Synthea writes them (a Claim and an
// ExplanationOfBenefit per encounter: institutional for inpatient and emergency stays,
// professional otherwise; the encounter as the first line, diagnoses and procedures as lines of
// their own, an Observation as supportingInfo, the Coverage as the focal insurance), with every
// resource they cite: the hospital and payer Organizations, the practitioners (with an NPI and a
// licence as Practitioner.qualification) and their roles, patients, coverage, encounters,
// conditions, procedures and observations. Literal references (`Type/id`) where Synthea's bulk
// files use conditional ones, since the node resolves no conditional reference. Deterministic for
// a seed; everything passes the node's R4 validation and flows in through its R4 intake.
//
// The hospital and the insurer name consortium members the way docs/claims.md says: an
// Organization identifier with system urn:careledger:member and the member's org id.

import { MEMBER_SYSTEM } from '../../gateway/consent/audit-event.js';
import { type SyntheticResource, seededRandom } from './synthetic-fhir.js';

export const SYNTHEA_ID_SYSTEM = 'https://github.com/synthetichealth/synthea';
export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';
export const LICENCE_SYSTEM = 'urn:careledger:licence';

export interface ClaimsOptions {
  /** The hospital member whose node bills the claims. */
  hospitalOrgId: string;
  /** Payer members; claim n is billed to payerOrgIds[n % length]. */
  payerOrgIds: string[];
  /** Number of claims (one per encounter, one encounter per patient). */
  count: number;
  seed?: number;
  /** Prefix of every id, so several sets can live in one node. */
  prefix?: string;
  /** Number of practitioners the encounters are spread over; default 3. */
  practitioners?: number;
  /** Year of the services; licences and coverage hold for the whole year. Default 2024. */
  year?: number;
}

/** One billed encounter with everything its Claim cites, as mutable R4 objects a test may tamper with. */
export interface ClaimCase {
  payerOrgId: string;
  patient: SyntheticResource;
  coverage: SyntheticResource;
  encounter: SyntheticResource;
  condition: SyntheticResource;
  procedure: SyntheticResource;
  observation: SyntheticResource;
  claim: SyntheticResource;
  eob: SyntheticResource;
  /** The rendering practitioner (also in `SyntheticClaims.practitioners`). */
  practitioner: SyntheticResource;
  /** The encounter's day of service, YYYY-MM-DD. */
  serviceDate: string;
}

export interface SyntheticClaims {
  organizations: SyntheticResource[];
  /** Practitioners followed by their PractitionerRoles. */
  practitioners: SyntheticResource[];
  cases: ClaimCase[];
}

const FAMILIES = ['Upton', 'Simonis', 'Hintz', 'Emard', 'Kub', 'Rolfson', 'Gerhold', 'Bashirian'];
const GIVEN = ['Marine', 'Chelsey', 'Jen', 'Irvin', 'Lavone', 'Tad', 'Oma', 'Rufus'];
const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
const LOINC = 'http://loinc.org';

const VISITS = [
  { cls: 'AMB', type: { code: '185349003', display: 'Encounter for check up (procedure)' }, hours: 1, kind: 'professional' },
  { cls: 'AMB', type: { code: '185347001', display: 'Encounter for problem (procedure)' }, hours: 2, kind: 'professional' },
  { cls: 'EMER', type: { code: '50849002', display: 'Emergency room admission (procedure)' }, hours: 5, kind: 'institutional' },
  { cls: 'IMP', type: { code: '32485007', display: 'Hospital admission (procedure)' }, hours: 50, kind: 'institutional' },
] as const;
const PROBLEMS = [
  { snomed: '44054006', icd: 'E11.9', display: 'Diabetes mellitus type 2 (disorder)' },
  { snomed: '38341003', icd: 'I10', display: 'Hypertensive disorder, systemic arterial (disorder)' },
  { snomed: '195662009', icd: 'J02.9', display: 'Acute viral pharyngitis (disorder)' },
  { snomed: '10509002', icd: 'J20.9', display: 'Acute bronchitis (disorder)' },
];
const PROCEDURES = [
  { code: '430193006', display: 'Medication reconciliation (procedure)', price: 320.5 },
  { code: '710824005', display: 'Assessment of health and social care needs (procedure)', price: 431.4 },
  { code: '117015009', display: 'Throat culture (procedure)', price: 2199.77 },
  { code: '399208008', display: 'Plain X-ray of chest (procedure)', price: 516.65 },
];
const VITALS = [
  { code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', min: 100, max: 170 },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', min: 4.8, max: 9.5 },
];

export function syntheticClaims(options: ClaimsOptions): SyntheticClaims {
  const next = seededRandom(options.seed ?? 7);
  const prefix = options.prefix ?? 'cl';
  const year = options.year ?? 2024;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const hospitalId = `${prefix}-org-hospital`;

  const organizations: SyntheticResource[] = [
    memberOrganization(hospitalId, options.hospitalOrgId, 'prov', `${options.hospitalOrgId} medical center`),
    ...options.payerOrgIds.map((orgId) => memberOrganization(payerOrganizationId(prefix, orgId), orgId, 'pay', `${orgId} health plan`)),
  ];

  const practitioners: SyntheticResource[] = [];
  const roles: SyntheticResource[] = [];
  for (let k = 0; k < (options.practitioners ?? 3); k++) {
    const id = `${prefix}-pr${k}`;
    practitioners.push({
      resourceType: 'Practitioner',
      id,
      identifier: [{ system: NPI_SYSTEM, value: String(9_999_900_000 + (options.seed ?? 7) * 100 + k) }],
      active: true,
      name: [{ family: `${pick(FAMILIES)}${100 + k}`, given: [pick(GIVEN)], prefix: ['Dr.'] }],
      gender: k % 2 === 0 ? 'female' : 'male',
      qualification: [
        {
          identifier: [{ system: LICENCE_SYSTEM, value: `LIC-${prefix}-${k}` }],
          code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0360', code: 'MD', display: 'Doctor of Medicine' }] },
          period: { start: `${year - 5}-01-01`, end: `${year + 2}-12-31` },
          issuer: { display: 'State Board of Medical Examiners' },
        },
      ],
    });
    roles.push({
      resourceType: 'PractitionerRole',
      id: `${id}-role`,
      active: true,
      practitioner: { reference: `Practitioner/${id}` },
      organization: { reference: `Organization/${hospitalId}` },
      code: [{ coding: [{ system: 'http://nucc.org/provider-taxonomy', code: '208D00000X', display: 'General Practice' }] }],
    });
  }

  const cases: ClaimCase[] = [];
  for (let n = 0; n < options.count; n++) {
    const payerOrgId = options.payerOrgIds[n % options.payerOrgIds.length]!;
    const payerId = payerOrganizationId(prefix, payerOrgId);
    const k = n % practitioners.length;
    const practitioner = practitioners[k]!;
    const role = roles[k]!;
    const visit = pick(VISITS);
    const problem = pick(PROBLEMS);
    const proc = pick(PROCEDURES);
    const vital = pick(VITALS);
    const month = 1 + Math.floor(next() * 11);
    const day = 1 + Math.floor(next() * 27);
    const hour = 8 + Math.floor(next() * 8);
    const start = new Date(Date.UTC(year, month - 1, day, hour, 0, 0));
    const end = new Date(start.getTime() + visit.hours * 3_600_000);
    const serviceDate = start.toISOString().slice(0, 10);
    const ids = {
      patient: `${prefix}-p${n}`,
      coverage: `${prefix}-cov${n}`,
      encounter: `${prefix}-enc${n}`,
      condition: `${prefix}-cond${n}`,
      procedure: `${prefix}-proc${n}`,
      observation: `${prefix}-obs${n}`,
      claim: `${prefix}-claim${n}`,
      eob: `${prefix}-eob${n}`,
    };
    const period = { start: start.toISOString(), end: end.toISOString() };
    const subject = { reference: `Patient/${ids.patient}` };
    const encounterRef = { reference: `Encounter/${ids.encounter}` };
    const claimType = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: visit.kind }] };
    const visitPrice = Math.round((80 + next() * 400) * 100) / 100;
    const total = Math.round((visitPrice + proc.price) * 100) / 100;

    const patient: SyntheticResource = {
      resourceType: 'Patient',
      id: ids.patient,
      identifier: [{ system: SYNTHEA_ID_SYSTEM, value: ids.patient }],
      name: [{ use: 'official', family: `${pick(FAMILIES)}${n}`, given: [pick(GIVEN)] }],
      gender: next() < 0.5 ? 'female' : 'male',
      birthDate: `${1940 + Math.floor(next() * 60)}-0${1 + Math.floor(next() * 9)}-1${Math.floor(next() * 9)}`,
    };
    const coverage: SyntheticResource = {
      resourceType: 'Coverage',
      id: ids.coverage,
      status: 'active',
      type: { coding: [{ system: 'urn:oid:2.16.840.1.113883.3.221.5', code: '5', display: 'Private health insurance' }] },
      subscriberId: `SUB-${(options.seed ?? 7) * 1000 + n}`,
      beneficiary: subject,
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
      period: { start: `${year}-01-01`, end: `${year}-12-31` },
      payor: [{ reference: `Organization/${payerId}` }],
    };
    const encounter: SyntheticResource = {
      resourceType: 'Encounter',
      id: ids.encounter,
      identifier: [{ use: 'official', system: SYNTHEA_ID_SYSTEM, value: ids.encounter }],
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: visit.cls },
      type: [{ coding: [{ system: SNOMED, ...visit.type }], text: visit.type.display }],
      subject,
      participant: [
        {
          type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF', display: 'primary performer' }] }],
          period,
          individual: { reference: `PractitionerRole/${role.id}` },
        },
      ],
      period,
      reasonCode: [{ coding: [{ system: SNOMED, code: problem.snomed, display: problem.display }] }],
      serviceProvider: { reference: `Organization/${hospitalId}` },
    };
    const condition: SyntheticResource = {
      resourceType: 'Condition',
      id: ids.condition,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }],
      code: { coding: [{ system: SNOMED, code: problem.snomed, display: problem.display }, { system: ICD10, code: problem.icd }], text: problem.display },
      subject,
      encounter: encounterRef,
      onsetDateTime: period.start,
      recordedDate: period.start,
    };
    const procedure: SyntheticResource = {
      resourceType: 'Procedure',
      id: ids.procedure,
      status: 'completed',
      code: { coding: [{ system: SNOMED, code: proc.code, display: proc.display }], text: proc.display },
      subject,
      encounter: encounterRef,
      performedPeriod: period,
      performer: [{ actor: { reference: `Practitioner/${practitioner.id}` } }],
    };
    const value = vital.min + next() * (vital.max - vital.min);
    const observation: SyntheticResource = {
      resourceType: 'Observation',
      id: ids.observation,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: vital.code === '8480-6' ? 'vital-signs' : 'laboratory' }] }],
      code: { coding: [{ system: LOINC, code: vital.code, display: vital.display }], text: vital.display },
      subject,
      encounter: encounterRef,
      effectiveDateTime: period.start,
      issued: period.end,
      performer: [{ reference: `Practitioner/${practitioner.id}` }],
      valueQuantity: { value: Math.round(value * 10) / 10, unit: vital.unit, system: 'http://unitsofmeasure.org', code: vital.unit },
    };
    const created = new Date(end.getTime() + 3_600_000).toISOString();
    const careTeam = [
      {
        sequence: 1,
        provider: { reference: `Practitioner/${practitioner.id}` },
        role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claimcareteamrole', code: 'primary', display: 'Primary provider' }] },
      },
    ];
    const claim: SyntheticResource = {
      resourceType: 'Claim',
      id: ids.claim,
      identifier: [{ system: SYNTHEA_ID_SYSTEM, value: ids.claim }],
      status: 'active',
      type: claimType,
      use: 'claim',
      patient: subject,
      billablePeriod: period,
      created,
      insurer: { reference: `Organization/${payerId}` },
      provider: { reference: `Organization/${hospitalId}` },
      priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
      careTeam,
      supportingInfo: [
        {
          sequence: 1,
          category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claiminformationcategory', code: 'info' }] },
          valueReference: { reference: `Observation/${ids.observation}` },
        },
      ],
      diagnosis: [{ sequence: 1, diagnosisReference: { reference: `Condition/${ids.condition}` } }],
      procedure: [{ sequence: 1, date: period.start, procedureReference: { reference: `Procedure/${ids.procedure}` } }],
      insurance: [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${ids.coverage}` } }],
      item: [
        {
          sequence: 1,
          careTeamSequence: [1],
          productOrService: { coding: [{ system: SNOMED, ...visit.type }], text: visit.type.display },
          servicedDate: serviceDate,
          encounter: [encounterRef],
          net: { value: visitPrice, currency: 'USD' },
        },
        {
          sequence: 2,
          careTeamSequence: [1],
          diagnosisSequence: [1],
          productOrService: { coding: [{ system: SNOMED, code: problem.snomed, display: problem.display }], text: problem.display },
          servicedDate: serviceDate,
          encounter: [encounterRef],
        },
        {
          sequence: 3,
          careTeamSequence: [1],
          procedureSequence: [1],
          productOrService: { coding: [{ system: SNOMED, code: proc.code, display: proc.display }], text: proc.display },
          servicedDate: serviceDate,
          encounter: [encounterRef],
          net: { value: proc.price, currency: 'USD' },
        },
      ],
      total: { value: total, currency: 'USD' },
    };
    const paid = Math.round(total * 0.8 * 100) / 100;
    const eob: SyntheticResource = {
      resourceType: 'ExplanationOfBenefit',
      id: ids.eob,
      identifier: [{ system: SYNTHEA_ID_SYSTEM, value: ids.eob }],
      status: 'active',
      type: claimType,
      use: 'claim',
      patient: subject,
      billablePeriod: period,
      created: new Date(end.getTime() + 86_400_000).toISOString(),
      insurer: { reference: `Organization/${payerId}` },
      provider: { reference: `Organization/${hospitalId}` },
      claim: { reference: `Claim/${ids.claim}` },
      outcome: 'complete',
      careTeam,
      diagnosis: [{ sequence: 1, diagnosisReference: { reference: `Condition/${ids.condition}` } }],
      insurance: [{ focal: true, coverage: { reference: `Coverage/${ids.coverage}` } }],
      item: (claim.item as Array<Record<string, unknown>>).map((line) => ({
        sequence: line.sequence,
        productOrService: line.productOrService,
        servicedDate: serviceDate,
        encounter: [encounterRef],
        ...(line.net ? { net: line.net } : {}),
        adjudication: [
          { category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'eligible' }] }, amount: line.net ?? { value: 0, currency: 'USD' } },
        ],
      })),
      total: [
        { category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'submitted' }] }, amount: { value: total, currency: 'USD' } },
        { category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'benefit' }] }, amount: { value: paid, currency: 'USD' } },
      ],
      payment: { amount: { value: paid, currency: 'USD' } },
    };
    cases.push({ payerOrgId, patient, coverage, encounter, condition, procedure, observation, claim, eob, practitioner, serviceDate });
  }
  return { organizations, practitioners: [...practitioners, ...roles], cases };
}

/** Everything a case cites but the shared organizations and practitioners, then its Claim and EOB. */
export function caseResources(c: ClaimCase): SyntheticResource[] {
  return [c.patient, c.coverage, c.encounter, c.condition, c.procedure, c.observation, c.claim, c.eob];
}

/** The whole set in load order: organizations, practitioners and roles, then each case. */
export function claimResources(set: SyntheticClaims): SyntheticResource[] {
  return [...set.organizations, ...set.practitioners, ...set.cases.flatMap(caseResources)];
}

/** The Organization id under which a payer member is named in a set made with `prefix`. */
export function payerOrganizationId(prefix: string, payerOrgId: string): string {
  return `${prefix}-org-${payerOrgId}`.slice(0, 64);
}

/** A consortium member as an Organization: its org id under urn:careledger:member (docs/claims.md). */
function memberOrganization(id: string, orgId: string, type: 'prov' | 'pay', name: string): SyntheticResource {
  return {
    resourceType: 'Organization',
    id,
    identifier: [{ system: MEMBER_SYSTEM, value: orgId }],
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: type }] }],
    name,
  };
}
