// Satisfying inputs for each committed circuit and their .wtns witnesses: what the native prover's
// test and bench prove, built the way test/bench/zk.bench.ts builds its inputs.

import { randomRecords, T2DM } from './cohort-records.js';
import { circuitArtifacts, type CohortCircuit } from '../../gateway/cohort/artifacts.js';
import { chunkInput, eligibilityInput, releaseInput, type CircuitInput } from '../../gateway/cohort/circuit-inputs.js';
import { CircuitProver } from '../../gateway/cohort/circuit-prover.js';
import { buildCohortTree, inclusionPath } from '../../gateway/cohort/cohort-tree.js';
import { loadCountCommitments } from '../../gateway/cohort/count-commitment.js';
import { compileCriteria, criteriaHash, type CohortCriteria } from '../../gateway/cohort/criteria.js';
import { diagnosisCodeElement } from '../../gateway/cohort/diagnosis-code.js';
import { identityCommitment } from '../../gateway/cohort/eligibility-proof.js';
import { FEATURE_SCHEMA } from '../../gateway/cohort/feature-schema.js';
import { loadPoseidon } from '../../gateway/cohort/poseidon.js';
import { recordLeaf } from '../../gateway/cohort/record-encoding.js';

const QUERY: CohortCriteria = [{ field: 'hba1c', op: 'gte', value: 6.5 }, { ageAtDateBetween: { date: '2025-01-01', min: 18, max: 90 } }];
const PATIENT_SECRET = 424242n;

export async function sampleCircuitInputs(): Promise<Record<CohortCircuit, CircuitInput>> {
  const [hash, commitments] = await Promise.all([loadPoseidon(), loadCountCommitments()]);
  const chunkSize = FEATURE_SCHEMA.tree.chunkSize;
  const records = randomRecords(2 * chunkSize, 2025);

  const compiled = compileCriteria(QUERY);
  const count = chunkInput(compiled, criteriaHash(hash, compiled), records.slice(0, chunkSize), commitments.randomBlinding());

  const patient = { ...records[0], salt: identityCommitment(hash, PATIENT_SECRET), diagnoses: [diagnosisCodeElement(T2DM.system, T2DM.code)] };
  const cohort = [patient, ...records.slice(1)];
  const tree = buildCohortTree(hash, cohort.map((r) => recordLeaf(hash, r)));
  const eligibilityCriteria = compileCriteria([{ hasAnyDiagnosis: [T2DM] }]);
  const eligibility = eligibilityInput(eligibilityCriteria, criteriaHash(hash, eligibilityCriteria), {
    record: patient,
    patientSecret: PATIENT_SECRET,
    path: inclusionPath(hash, tree, 0),
    root: tree.root,
    scopeId: 7n,
  });

  const release = releaseInput(commitments.commit(20n, 5n), 11, 20, 5n);
  return { cohort_count: count, eligibility, threshold_release: release };
}

/** The circuit's witness for `input` in the .wtns binary format. */
export function circuitWitness(circuit: CohortCircuit, input: CircuitInput): Promise<Uint8Array> {
  return new CircuitProver(circuitArtifacts(circuit)).witness(input);
}
