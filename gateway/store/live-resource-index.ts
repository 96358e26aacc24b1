// Read-only listings over the current versions and the search index that capabilities need
// without going through a FHIR search: the live ids of a type a page at a time (Bulk export) and
// the patients with the Conditions and Observations that reference them (cohort records). The
// resource store owns these tables; nothing here writes to them.

import type { LiveResourceIds } from '../../fhir-adapters/bulk/live-resource-ids.js';
import type { CohortRecordIndex } from '../cohort/record-index.js';
import type { Db } from './database.js';
import { flushSearchIndex } from './deferred-index.js';

export class LiveResourceIndex implements LiveResourceIds, CohortRecordIndex {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      page: db.prepare('SELECT id FROM resource_current WHERE type = ? AND deleted = 0 AND last_updated >= ? AND id > ? ORDER BY id LIMIT ?'),
      patients: db.prepare("SELECT id FROM resource_current WHERE type = 'Patient' AND deleted = 0 ORDER BY id"),
      // A Condition's or Observation's `patient` is indexed once, as its `subject` rows that start
      // with `Patient/` (search-index.ts, ReferenceAlias).
      linked: db.prepare(
        `SELECT c.id AS id, s.value AS patient FROM resource_current c
           JOIN search_index s ON s.type = c.type AND s.id = c.id AND s.param = 'subject' AND s.value >= 'Patient/' AND s.value < 'Patient0'
          WHERE c.type = ? AND c.deleted = 0`,
      ),
    };
  }

  async liveIds(type: string, since: string, afterId: string, limit: number): Promise<string[]> {
    return (this.statements.page.all(type, since, afterId, limit) as Array<{ id: string }>).map((row) => row.id);
  }

  async livePatientIds(): Promise<string[]> {
    return (this.statements.patients.all() as Array<{ id: string }>).map((row) => row.id);
  }

  async linkedToPatients(type: 'Condition' | 'Observation'): Promise<Array<{ id: string; patient: string }>> {
    flushSearchIndex(this.db);
    return this.statements.linked.all(type) as Array<{ id: string; patient: string }>;
  }
}
