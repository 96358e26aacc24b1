import { OperationOutcomeError } from '@medplum/core';
import type { ResourceService } from '../store/service.js';
import { buildCohortTree, type CohortTree } from './cohort-tree.js';
import { identityCommitment } from './eligibility-proof.js';
import { extractFeatures, type ConditionLike, type FeatureRecord, type ObservationLike, type PatientLike } from './features.js';
import type { PatientSecrets } from './patient-secrets.js';
import type { PoseidonHash } from './poseidon.js';
import { recordLeaf } from './record-encoding.js';
import type { CohortRecordIndex } from './record-index.js';

/** The node's feature records at one moment, in leaf order, and the tree over them. */
export interface CohortSnapshot {
  /** patientIds[i] is the patient of records[i] (leaf i). Never leaves the node. */
  patientIds: string[];
  records: FeatureRecord[];
  tree: CohortTree;
}

/** Patients are yielded to the event loop in groups this size, so HTTP stays responsive. */
const YIELD_EVERY = 100;

/**
 * Builds feature records from the node's own store: every current Patient, with the current
 * Conditions and Observations that reference it (the `patient` search index), decrypted through
 * the store like any read. Leaf order is patient id order, so a snapshot is reproducible from
 * the same data. Nothing here leaves the node; only the tree's roots do.
 */
export class CohortRecordSource {
  constructor(
    private readonly index: CohortRecordIndex,
    private readonly store: ResourceService,
    private readonly secrets: PatientSecrets,
  ) {}

  async snapshot(hash: PoseidonHash): Promise<CohortSnapshot> {
    const patientIds = await this.index.livePatientIds();
    const conditions = await this.linked('Condition');
    const observations = await this.linked('Observation');
    const records: FeatureRecord[] = [];
    const kept: string[] = [];
    for (const [i, id] of patientIds.entries()) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
      const patient = await this.readOrNull<PatientLike>('Patient', id);
      if (!patient) continue;
      const reference = `Patient/${id}`;
      records.push(
        extractFeatures(
          { patient, conditions: (conditions.get(reference) ?? []) as ConditionLike[], observations: (observations.get(reference) ?? []) as ObservationLike[] },
          identityCommitment(hash, this.secrets.of(id)),
        ),
      );
      kept.push(id);
    }
    const tree = buildCohortTree(hash, records.map((record) => recordLeaf(hash, record)));
    return { patientIds: kept, records, tree };
  }

  private async linked(type: 'Condition' | 'Observation'): Promise<Map<string, unknown[]>> {
    const byPatient = new Map<string, unknown[]>();
    const rows = await this.index.linkedToPatients(type);
    for (const [i, row] of rows.entries()) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
      const resource = await this.readOrNull(type, row.id);
      if (!resource) continue;
      const list = byPatient.get(row.patient) ?? [];
      list.push(resource);
      byPatient.set(row.patient, list);
    }
    return byPatient;
  }

  /** null for a resource deleted or erased since the index was read. */
  private async readOrNull<T>(type: string, id: string): Promise<T | null> {
    try {
      return (await this.store.read(type, id)).resource as T;
    } catch (error) {
      if (error instanceof OperationOutcomeError) return null;
      throw error;
    }
  }
}
