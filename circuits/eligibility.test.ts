import { beforeAll, describe, expect, it } from 'vitest';
import { eligibilityInput, type EligibilityWitness } from '../gateway/cohort/circuit-inputs.js';
import { buildCohortTree, inclusionPath } from '../gateway/cohort/cohort-tree.js';
import { compileCriteria, criteriaHash, evaluateCriteria, type CohortCriteria } from '../gateway/cohort/criteria.js';
import { diagnosisCodeElement } from '../gateway/cohort/diagnosis-code.js';
import { identityCommitment } from '../gateway/cohort/eligibility-proof.js';
import type { FeatureRecord } from '../gateway/cohort/features.js';
import { loadPoseidon, type PoseidonHash } from '../gateway/cohort/poseidon.js';
import { recordLeaf } from '../gateway/cohort/record-encoding.js';
import { randomRecords, T2DM } from '../test/support/cohort-records.js';
import { witnessOutputs } from './witness.js';

let hash: PoseidonHash;
let records: FeatureRecord[];
const SECRET = 987654321987654321n;
const PATIENT = 37;
const SCOPE = 4242n;
const TRIAL: CohortCriteria = [{ field: 'hba1c', op: 'gte', value: 6.5 }, { hasAnyDiagnosis: [T2DM] }];

beforeAll(async () => {
  hash = await loadPoseidon();
  records = randomRecords(40, 5);
  // The patient enrolled their identity commitment, which the hospital uses as the salt.
  const t2dm = diagnosisCodeElement(T2DM.system, T2DM.code);
  records[PATIENT] = {
    ...records[PATIENT],
    salt: identityCommitment(hash, SECRET),
    labs: { ...records[PATIENT].labs, hba1c: { value: 720, day: 45100 } },
    diagnoses: [t2dm, ...records[PATIENT].diagnoses.filter((d) => d !== t2dm)],
  };
});

function witness(overrides: Partial<EligibilityWitness> = {}): EligibilityWitness {
  const tree = buildCohortTree(hash, records.map((r) => recordLeaf(hash, r)));
  return { record: records[PATIENT], patientSecret: SECRET, path: inclusionPath(hash, tree, PATIENT), root: tree.root, scopeId: SCOPE, ...overrides };
}

function input(w: EligibilityWitness, criteria: CohortCriteria = TRIAL) {
  const compiled = compileCriteria(criteria);
  return eligibilityInput(compiled, criteriaHash(hash, compiled), w);
}

describe('eligibility witness', () => {
  it('outputs the nullifier Poseidon(secret, scope) for an eligible committed record', async () => {
    expect(evaluateCriteria(records[PATIENT], TRIAL)).toBe(true);
    expect(await witnessOutputs('eligibility', input(witness()), 1)).toEqual([hash([SECRET, SCOPE])]);
  });

  it('cannot prove a record that misses the criteria (hba1c limit is exclusive for gt)', async () => {
    const strict: CohortCriteria = [{ field: 'hba1c', op: 'gt', value: 7.2 }];
    expect(evaluateCriteria(records[PATIENT], strict)).toBe(false);
    await expect(witnessOutputs('eligibility', input(witness(), strict), 1)).rejects.toThrow();
    const atLimit: CohortCriteria = [{ field: 'hba1c', op: 'gte', value: 7.2 }];
    expect(await witnessOutputs('eligibility', input(witness(), atLimit), 1)).toHaveLength(1);
  });

  it('rejects a wrong Merkle path: tampered sibling, wrong position, another root', async () => {
    const good = witness();
    const children = good.path.children.map((level) => [...level]);
    children[1][(good.path.index[1] + 1) % 16] += 1n;
    await expect(witnessOutputs('eligibility', input({ ...good, path: { ...good.path, children } }), 1)).rejects.toThrow();
    const index = [...good.path.index];
    index[0] = (index[0] + 1) % 16;
    await expect(witnessOutputs('eligibility', input({ ...good, path: { ...good.path, index } }), 1)).rejects.toThrow();
    await expect(witnessOutputs('eligibility', input({ ...good, root: good.root + 1n }), 1)).rejects.toThrow();
    const outOfRange = [...good.path.index];
    outOfRange[0] = 16;
    await expect(witnessOutputs('eligibility', input({ ...good, path: { ...good.path, index: outOfRange } }), 1)).rejects.toThrow();
  });

  it('rejects a secret that does not open the committed identity', async () => {
    await expect(witnessOutputs('eligibility', input(witness({ patientSecret: SECRET + 1n })), 1)).rejects.toThrow();
  });

  it('rejects a criteria hash that does not match the criteria inputs', async () => {
    const tampered = input(witness());
    tampered.criteriaHash = criteriaHash(hash, compileCriteria([{ field: 'hba1c', op: 'gte', value: 5 }]));
    await expect(witnessOutputs('eligibility', tampered, 1)).rejects.toThrow();
  });
});
