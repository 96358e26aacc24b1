// Telehealth message figures for `npm run bench`, on a real store (intake with R5 validation,
// vault, journal, SQLite in a temp dir) in this process; the gate is a table lookup, as the
// workflow's is with its session rows in memory.
//   messagePostP50Ms / P95   a chat message posted: gate, hash-only Communication through intake
//                            (durable), content sealed under its own key, row written.
//   baselineP50Ms / P95      the same text as a Communication that holds it, through the same
//                            intake: what a message costs without a key of its own (and could then
//                            not be shredded alone when its retention ends).
//   photoPostP95Ms           a 200 KB PNG posted the same way.
//   purgePerSecond           expired messages crypto-shredded per second, deletion records included.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { validateR5 } from '../../fhir-adapters/validation/index.js';
import { IntakePipeline } from '../../gateway/intake/pipeline.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { openConsultMessageStore } from '../../gateway/store/consult-message-store.js';
import { openDatabase } from '../../gateway/store/database.js';
import { ResourceStore } from '../../gateway/store/resource-store.js';
import { SearchIndexer } from '../../gateway/store/search-index.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { Vault } from '../../gateway/store/vault.js';
import { ConsultMessages } from '../../gateway/telehealth/consult-messages.js';
import type { Participant } from '../../gateway/telehealth/ports.js';
import { consultationRetentionSource, createRetentionPurge } from '../../gateway/telehealth/retention-purge.js';
import { retentionPolicyFrom } from '../../gateway/telehealth/retention-policy.js';

export interface TelehealthMessagesBenchResult {
  messages: number;
  messagePostP50Ms: number;
  messagePostP95Ms: number;
  baselineP50Ms: number;
  baselineP95Ms: number;
  photoPostP95Ms: number;
  purged: number;
  purgePerSecond: number;
}

const SESSION = 'bench-session-0123456789abcdef';
const TYPES = new Set(['Communication', 'AuditEvent', 'Encounter', 'Patient']);

export async function benchTelehealthMessages(options: { messages?: number; photos?: number } = {}): Promise<TelehealthMessagesBenchResult> {
  const count = options.messages ?? 1000;
  const photos = options.photos ?? 50;
  const dir = mkdtempSync(join(tmpdir(), 'careledger-bench-messages-'));
  const db = openDatabase(join(dir, 'node.db'));
  try {
    const masterKey = randomBytes(32);
    const vault = new Vault(db, masterKey);
    const isKnownType = (type: string) => TYPES.has(type);
    const store = new IntakePipeline({
      store: new ResourceStore({
        db,
        vault,
        indexer: new SearchIndexer(masterKey),
        isKnownType,
        receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] },
      }),
      validate: (resource: FhirResource) => validateR5(resource),
      isKnownType,
    });
    let clock = Date.UTC(2026, 0, 1);
    const patient: Participant = { participantId: 'pat', role: 'patient', member: `0x${'11'.repeat(32)}` as Hex, permissions: { publish: true, chat: true } };
    const policy = retentionPolicyFrom({}, process.cwd());
    const table = openConsultMessageStore(db).messages;
    const messages = new ConsultMessages({
      table,
      vault,
      store,
      gate: { check: async () => ({ ok: true, participant: patient }) },
      contexts: { contextOf: async () => ({ encounter: 'Encounter/bench-enc', patientReference: 'Patient/bench-p', patientAddress: `0x${'22'.repeat(20)}` as Hex }) },
      notifier: { notify: () => undefined },
      retention: policy.periods.consultation,
      now: () => clock,
    });
    const text = (i: number) => `Message ${i}: the rash spread to the forearm overnight, no fever, itching worse after a shower.`;

    // Warm-up: validator, JIT, the compartment's data key.
    for (let i = 0; i < 50; i++) await messages.post(SESSION, 'pat', { kind: 'text', text: text(i) });

    const posted: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < count; i++) {
      let started = performance.now();
      await messages.post(SESSION, 'pat', { kind: 'text', text: text(i) });
      posted.push(performance.now() - started);
      started = performance.now();
      await store.create({
        resourceType: 'Communication',
        status: 'completed',
        subject: { reference: 'Patient/bench-p' },
        encounter: { reference: 'Encounter/bench-enc' },
        sent: new Date(clock).toISOString(),
        payload: [{ contentAttachment: { contentType: 'text/plain', data: Buffer.from(text(i)).toString('base64') } }],
      });
      baseline.push(performance.now() - started);
    }
    const photo = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(200 * 1024)]);
    const photoTimes: number[] = [];
    for (let i = 0; i < photos; i++) {
      const started = performance.now();
      await messages.post(SESSION, 'pat', { kind: 'file', contentType: 'image/png', bytes: photo });
      photoTimes.push(performance.now() - started);
    }

    clock += 8 * 365 * 86_400_000;
    const purge = createRetentionPurge({
      sources: [consultationRetentionSource(table)],
      policy,
      store,
      node: { memberId: `0x${'33'.repeat(32)}`, orgId: 'bench-host' },
      now: () => clock,
    });
    const started = performance.now();
    const records = await purge.runOnce();
    const purgeMs = performance.now() - started;
    const purged = records.reduce((sum, record) => sum + record.count, 0);

    return {
      messages: count,
      messagePostP50Ms: round(percentile(posted, 50)),
      messagePostP95Ms: round(percentile(posted, 95)),
      baselineP50Ms: round(percentile(baseline, 50)),
      baselineP95Ms: round(percentile(baseline, 95)),
      photoPostP95Ms: round(percentile(photoTimes, 95)),
      purged,
      purgePerSecond: Math.round((purged * 1000) / purgeMs),
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
