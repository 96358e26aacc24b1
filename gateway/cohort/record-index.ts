// What the cohort record source reads from the node's store besides the resources themselves:
// which patients are live, and which Conditions and Observations point at them. Implemented over
// SQLite by gateway/store/live-resource-index.ts; async so a replicated store can implement it.

export interface CohortRecordIndex {
  /** Ids of every current, non-deleted Patient, in id order (the leaf order of a snapshot). */
  livePatientIds(): Promise<string[]>;
  /** Current, non-deleted resources of the type with the `patient` search value they carry (`Patient/<id>`). */
  linkedToPatients(type: 'Condition' | 'Observation'): Promise<Array<{ id: string; patient: string }>>;
}
