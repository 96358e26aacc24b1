// The export's read side over the node's store: ids of live resources from resource_current
// (keyset-paged, so no statement stays open across an await), each decrypted through
// ResourceService.read. A resource deleted while the export runs is skipped.

import { OperationOutcomeError } from '@medplum/core';
import type { Db } from '../../gateway/store/database.js';
import type { FhirResource, ResourceService } from '../../gateway/store/service.js';

export type ListAll = (type: string, since?: string) => AsyncIterable<FhirResource>;

const PAGE = 500;

export function storeExportSource(db: Db, service: Pick<ResourceService, 'read'>): ListAll {
  const page = db.prepare(
    `SELECT id FROM resource_current WHERE type = ? AND deleted = 0 AND last_updated >= ? AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  return async function* listAll(type: string, since?: string): AsyncIterable<FhirResource> {
    // last_updated is written by Date.toISOString, so compare against the same rendering.
    const from = since ? new Date(since).toISOString() : '';
    let after = '';
    for (;;) {
      const ids = (page.all(type, from, after) as Array<{ id: string }>).map((row) => row.id);
      for (const id of ids) {
        try {
          yield (await service.read(type, id)).resource;
        } catch (error) {
          if (!(error instanceof OperationOutcomeError)) throw error;
        }
      }
      if (ids.length < PAGE) return;
      after = ids[ids.length - 1]!;
    }
  };
}
