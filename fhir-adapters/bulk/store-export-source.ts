// The export's read side over the node's store: ids of live resources a page at a time
// (keyset-paged, so no statement stays open across an await), each decrypted through
// ResourceService.read. A resource deleted while the export runs is skipped.

import { OperationOutcomeError } from '@medplum/core';
import type { FhirResource, ResourceService } from '../../gateway/store/service.js';
import type { LiveResourceIds } from './live-resource-ids.js';

export type ListAll = (type: string, since?: string) => AsyncIterable<FhirResource>;

const PAGE = 500;

export function storeExportSource(index: LiveResourceIds, service: Pick<ResourceService, 'read'>): ListAll {
  return async function* listAll(type: string, since?: string): AsyncIterable<FhirResource> {
    // last_updated is written by Date.toISOString, so compare against the same rendering.
    const from = since ? new Date(since).toISOString() : '';
    let after = '';
    for (;;) {
      const ids = await index.liveIds(type, from, after, PAGE);
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
