// Claims over the shared Synthea export (../shared/data/synthea-10, which has no Claim or EOB):
// its patients, encounters (with the conditions and procedures Synthea recorded for them) and
// practitioners, billed the way Synthea bills an encounter (synthetic-claims.ts). What the export
// lacks is generated: the Coverage, the hospital and payer Organizations (named as members), a
// licence per practitioner (Practitioner.qualification, Synthea writes none). Synthea's
// conditional references (`Practitioner?identifier=...`, `Organization?identifier=...`,
// `Location?identifier=...`), which the node does not resolve, become literal references to the
// practitioner and the hospital, or are dropped (locations). Null when the folder is absent.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MEMBER_SYSTEM } from '../../gateway/consent/audit-event.js';
import { NPI_SYSTEM, payerOrganizationId } from './synthetic-claims.js';
import type { SyntheticResource } from './synthetic-fhir.js';

export interface SyntheaClaimSet {
  /** Load order: organizations, practitioners, then per claim its patient, coverage, encounter, conditions, procedures, Claim and EOB. */
  resources: SyntheticResource[];
  claims: SyntheticResource[];
}

type R4 = SyntheticResource & Record<string, any>;

export function syntheaClaims(dir: string, options: { hospitalOrgId: string; payerOrgId: string; count: number; prefix?: string }): SyntheaClaimSet | null {
  if (!existsSync(dir)) return null;
  const read = (type: string): R4[] =>
    readFileSync(join(dir, `${type}.000.ndjson`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as R4);
  const prefix = options.prefix ?? 'sy';
  const hospitalId = `${prefix}-org-hospital`;
  const payerId = payerOrganizationId(prefix, options.payerOrgId);
  const practitionersByNpi = new Map(read('Practitioner').map((p) => [p.identifier?.find((i: any) => i.system === NPI_SYSTEM)?.value as string, p]));
  const patients = new Map(read('Patient').map((p) => [`Patient/${p.id}`, p]));
  const byEncounter = (resources: R4[]) => {
    const map = new Map<string, R4[]>();
    for (const r of resources) if (r.encounter?.reference) map.set(r.encounter.reference, [...(map.get(r.encounter.reference) ?? []), r]);
    return map;
  };
  const procedures = byEncounter(read('Procedure'));
  const conditions = byEncounter(read('Condition'));
  const npiOf = (encounter: R4): string | undefined =>
    (encounter.participant ?? []).map((p: any) => String(p.individual?.reference ?? '').split('|')[1]).find((npi: string | undefined) => npi && practitionersByNpi.has(npi));

  // One billed encounter per patient, the first (by id) with a procedure and a known practitioner.
  const chosen = new Map<string, R4>();
  for (const encounter of read('Encounter').sort((a, b) => a.id.localeCompare(b.id))) {
    const patient = encounter.subject?.reference as string;
    if (chosen.size >= options.count || chosen.has(patient) || !patients.has(patient)) continue;
    if (procedures.has(`Encounter/${encounter.id}`) && npiOf(encounter)) chosen.set(patient, encounter);
  }

  const years = [...chosen.values()].map((e) => Number(String(e.period.start).slice(0, 4)));
  const licensed = new Map<string, R4>();
  const out: R4[] = [];
  const claims: R4[] = [];
  let n = 0;
  for (const [patientRef, source] of chosen) {
    const practitioner = practitionersByNpi.get(npiOf(source)!)!;
    if (!licensed.has(practitioner.id)) {
      licensed.set(practitioner.id, {
        ...practitioner,
        qualification: [
          {
            identifier: [{ system: 'urn:careledger:licence', value: `LIC-${practitioner.identifier[0].value}` }],
            code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0360', code: 'MD' }] },
            period: { start: `${Math.min(...years) - 1}-01-01`, end: `${Math.max(...years) + 1}-12-31` },
          },
        ],
      });
    }
    const encounterRef = { reference: `Encounter/${source.id}` };
    const practitionerRef = { reference: `Practitioner/${practitioner.id}` };
    const encounter: R4 = {
      ...source,
      participant: source.participant.map((p: any) => ({ ...p, individual: practitionerRef })),
      serviceProvider: { reference: `Organization/${hospitalId}` },
    };
    delete encounter.location;
    const encounterProcedures = procedures.get(`Encounter/${source.id}`)!.map(({ location: _location, ...p }) => ({ ...p, performer: [{ actor: practitionerRef }] }) as R4);
    const encounterConditions = conditions.get(`Encounter/${source.id}`) ?? [];
    const coverage: R4 = {
      resourceType: 'Coverage',
      id: `${prefix}-cov${n}`,
      status: 'active',
      subscriberId: `SY-${source.subject.reference.slice(8, 20)}`,
      beneficiary: { reference: patientRef },
      period: { start: `${Math.min(...years) - 1}-01-01`, end: `${Math.max(...years) + 1}-12-31` },
      payor: [{ reference: `Organization/${payerId}` }],
    };
    const day = String(source.period.start).slice(0, 10);
    const institutional = ['IMP', 'EMER'].includes(source.class?.code);
    const claim: R4 = {
      resourceType: 'Claim',
      id: `${prefix}-claim${n}`,
      status: 'active',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: institutional ? 'institutional' : 'professional' }] },
      use: 'claim',
      patient: { reference: patientRef },
      billablePeriod: source.period,
      created: source.period.end,
      insurer: { reference: `Organization/${payerId}` },
      provider: { reference: `Organization/${hospitalId}` },
      priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
      careTeam: [{ sequence: 1, provider: practitionerRef, role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claimcareteamrole', code: 'primary' }] } }],
      ...(encounterConditions.length > 0
        ? { diagnosis: encounterConditions.map((c, i) => ({ sequence: i + 1, diagnosisReference: { reference: `Condition/${c.id}` } })) }
        : {}),
      procedure: encounterProcedures.map((p, i) => ({ sequence: i + 1, procedureReference: { reference: `Procedure/${p.id}` } })),
      insurance: [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${coverage.id}` } }],
      item: [
        { sequence: 1, careTeamSequence: [1], productOrService: source.type[0], servicedDate: day, encounter: [encounterRef] },
        ...encounterProcedures.map((p, i) => ({
          sequence: i + 2,
          careTeamSequence: [1],
          procedureSequence: [i + 1],
          productOrService: p.code,
          servicedDate: day,
          encounter: [encounterRef],
        })),
      ],
    };
    const eob: R4 = {
      resourceType: 'ExplanationOfBenefit',
      id: `${prefix}-eob${n}`,
      status: 'active',
      type: claim.type,
      use: 'claim',
      patient: claim.patient,
      created: source.period.end,
      insurer: claim.insurer,
      provider: claim.provider,
      claim: { reference: `Claim/${claim.id}` },
      outcome: 'complete',
      careTeam: claim.careTeam,
      insurance: [{ focal: true, coverage: { reference: `Coverage/${coverage.id}` } }],
      item: claim.item.map((line: any) => ({ sequence: line.sequence, productOrService: line.productOrService, servicedDate: day, encounter: [encounterRef] })),
    };
    out.push(patients.get(patientRef)!, coverage, encounter, ...encounterConditions, ...encounterProcedures, claim, eob);
    claims.push(claim);
    n++;
  }
  const organizations: R4[] = [
    { resourceType: 'Organization', id: hospitalId, identifier: [{ system: MEMBER_SYSTEM, value: options.hospitalOrgId }], active: true, name: options.hospitalOrgId },
    { resourceType: 'Organization', id: payerId, identifier: [{ system: MEMBER_SYSTEM, value: options.payerOrgId }], active: true, name: options.payerOrgId },
  ];
  return { resources: [...organizations, ...licensed.values(), ...out], claims };
}
