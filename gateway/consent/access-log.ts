// Writes access AuditEvents through the node's own resource service (so they are journaled,
// sealed and anchored like any resource) and reads a patient's access history back with the
// receipt of each entry.

import type { FhirResource, ResourceService } from '../store/service.js';
import { type AccessAuditInput, type AuditNode, accessAuditEvent } from './audit-event.js';

export interface AccessEntry {
  auditEvent: FhirResource;
  /** `AuditEvent/<id>/_history/<version>`. */
  reference: string;
  recorded: string;
  outcome: 'allowed' | 'denied';
  breakGlass: boolean;
  /** The anchored receipt of the AuditEvent, or null while its batch is not anchored yet. */
  receipt: unknown;
  retryAfterSeconds?: number;
}

export class AccessLog {
  constructor(
    private readonly store: ResourceService,
    private readonly node: AuditNode,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(input: Omit<AccessAuditInput, 'recorded' | 'node'>): Promise<FhirResource> {
    const result = await this.store.create(accessAuditEvent({ ...input, recorded: this.now(), node: this.node }));
    return result.resource;
  }

  /** Every access to the patient's data this node logged, newest first, each with its receipt. */
  async accessesOf(patientId: string): Promise<AccessEntry[]> {
    const events: FhirResource[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.store.search({
        type: 'AuditEvent',
        params: [{ code: 'patient', value: `Patient/${patientId}` }],
        count: 500,
        offset,
        summaryCount: false,
      });
      events.push(...page.resources);
      if (offset + 500 >= page.total) break;
    }
    events.sort((a, b) => String(b.recorded).localeCompare(String(a.recorded)));
    return Promise.all(
      events.map(async (auditEvent): Promise<AccessEntry> => {
        const versionId = auditEvent.meta?.versionId ?? '1';
        const status = await this.store.receipt('AuditEvent', auditEvent.id!, versionId);
        const authorization = JSON.stringify(auditEvent.authorization ?? []);
        return {
          auditEvent,
          reference: `AuditEvent/${auditEvent.id}/_history/${versionId}`,
          recorded: String(auditEvent.recorded),
          outcome: (auditEvent.outcome as { code?: { code?: string } } | undefined)?.code?.code === '0' ? 'allowed' : 'denied',
          breakGlass: authorization.includes('"BTG"'),
          receipt: status.status === 'anchored' ? status.receipt : null,
          ...(status.status === 'pending' ? { retryAfterSeconds: status.retryAfterSeconds } : {}),
        };
      }),
    );
  }
}
