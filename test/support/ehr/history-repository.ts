// Medplum's MemoryRepository keeps no type-level history and forgets deletions. A real EHR keeps
// both, and REST sync depends on them (deletes are only visible in `_history`), so this records
// every version and every deletion per type, in commit order.

import { MemoryRepository } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';

export interface TypeHistoryEntry {
  id: string;
  method: 'POST' | 'PUT' | 'DELETE';
  lastModified: string;
  resource?: Resource;
}

type WithId<T> = T & { id: string };

export class HistoryRecordingRepository extends MemoryRepository {
  private readonly log = new Map<string, TypeHistoryEntry[]>();

  override clear(): void {
    super.clear();
    this.log.clear();
  }

  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    const stored = await super.createResource(resource);
    const entries = this.entriesOf(stored.resourceType);
    const existed = entries.some((entry) => entry.id === stored.id);
    entries.push({ id: stored.id, method: existed ? 'PUT' : 'POST', lastModified: stored.meta!.lastUpdated!, resource: stored });
    return stored;
  }

  override async deleteResource(resourceType: string, id: string): Promise<void> {
    await super.deleteResource(resourceType, id);
    this.entriesOf(resourceType).push({ id, method: 'DELETE', lastModified: new Date().toISOString() });
  }

  /** Oldest first. */
  typeHistory(resourceType: string): readonly TypeHistoryEntry[] {
    return this.log.get(resourceType) ?? [];
  }

  resourceTypes(): string[] {
    return [...this.log.keys()];
  }

  /** Current (not deleted) resources of a type. */
  async current(resourceType: string): Promise<Resource[]> {
    const bundle = await this.search({ resourceType } as Parameters<MemoryRepository['search']>[0]);
    return (bundle.entry ?? []).map((entry) => entry.resource as Resource);
  }

  private entriesOf(resourceType: string): TypeHistoryEntry[] {
    let entries = this.log.get(resourceType);
    if (!entries) {
      entries = [];
      this.log.set(resourceType, entries);
    }
    return entries;
  }
}
