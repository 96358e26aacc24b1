// The consult workflow of a host over a real SQLite database in a temp dir: the node's intake
// pipeline and resource store, the telehealth tables, a real GrantCache (fed with the
// ConsentRegistry events a test writes into it, or synced from anvil) and the SessionService.
// What the workflow calls outside itself is passed in: the licence verdict and the membership
// answer, and the notices it sends are recorded.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrantCache } from '../../gateway/consent/grant-cache.js';
import { memberIdOf } from '../../gateway/crypto/digest.js';
import type { ConsentGrantRecord, Hex } from '../../gateway/ledger/ports.js';
import { openDatabase, type Db } from '../../gateway/store/database.js';
import { openNodeStore } from '../../gateway/store/node-store.js';
import { openTelehealthTables } from '../../gateway/store/telehealth-store.js';
import type { IntakePipeline } from '../../gateway/intake/pipeline.js';
import { ConsentGate } from '../../gateway/telehealth/consent-gate.js';
import type { ConsultNotice } from '../../gateway/telehealth/ports.js';
import { SessionService, type LicenceVerdict } from '../../gateway/telehealth/session-service.js';
import type { TelehealthTables } from '../../gateway/telehealth/telehealth-tables.js';

export const HOST_ORG = 'consult-host-b';
export const HOME_ORG = 'consult-home-a';
export const HOST = memberIdOf(HOST_ORG);
export const HOME = memberIdOf(HOME_ORG);
export const PATIENT = '0x1111111111111111111111111111111111111111' as Hex;

export interface ConsultFixture {
  dir: string;
  db: Db;
  store: IntakePipeline;
  tables: TelehealthTables;
  grants: GrantCache;
  service: SessionService;
  notices: Array<{ participantId: string | null; notice: ConsultNotice }>;
  /** Puts a grant on the (cached) ledger and returns its id. */
  grant(overrides?: Partial<ConsentGrantRecord>): Hex;
  revoke(grantId: Hex): void;
  /** A Practitioner, their Schedule and `count` free slots an hour apart. */
  slots(practitionerId: string, count: number): Promise<string[]>;
  journalSize(): number;
  close(): void;
}

export async function openConsultFixture(options: { licence?: LicenceVerdict; hospitals?: Hex[]; now?: () => number } = {}): Promise<ConsultFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-consult-'));
  const db = openDatabase(join(dir, 'node.db'));
  const { service: store } = openNodeStore({ db, masterKey: Buffer.alloc(32, 7), receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] } });
  const tables = openTelehealthTables(db);
  const grants = new GrantCache();
  const notices: ConsultFixture['notices'] = [];
  const hospitals = new Set(options.hospitals ?? [HOST, HOME]);
  const now = options.now ?? Date.now;
  const service = new SessionService({
    tables,
    store,
    consent: new ConsentGate(grants, HOST, now),
    licence: options.licence ?? (async () => ({ ok: true })),
    isHospital: async (member) => hospitals.has(member),
    notifier: { notify: (_sessionId, participantId, notice) => notices.push({ participantId, notice }) },
    self: { memberId: HOST, orgId: HOST_ORG },
    now,
  });
  let nonce = 0;
  return {
    dir,
    db,
    store,
    tables,
    grants,
    service,
    notices,
    grant(overrides = {}) {
      const grantId = `0x${(++nonce).toString(16).padStart(64, 'a')}` as Hex;
      const nowSeconds = Math.floor(now() / 1000);
      const grant: ConsentGrantRecord = {
        grantId,
        patient: PATIENT,
        granteeMember: HOST,
        granteePractitioner: `0x${'0'.repeat(64)}` as Hex,
        scopeHash: `0x${'1'.repeat(64)}` as Hex,
        purposes: 1,
        notBefore: nowSeconds - 60,
        notAfter: nowSeconds + 3600,
        recordedBy: HOME,
        revokedAt: null,
        ...overrides,
      };
      grants.apply([{ kind: 'granted', grant, txHash: grantId, blockNumber: nonce, blockTime: nowSeconds }]);
      return grantId;
    },
    revoke(grantId) {
      grants.apply([{ kind: 'revoked', grantId, patient: PATIENT, txHash: grantId, blockNumber: ++nonce, blockTime: Math.floor(now() / 1000) }]);
    },
    async slots(practitionerId, count) {
      await store.update('Practitioner', practitionerId, { resourceType: 'Practitioner', id: practitionerId, active: true });
      const schedule = await service.booking.createSchedule(practitionerId);
      const ids: string[] = [];
      const start = Date.parse('2030-01-07T09:00:00Z');
      for (let i = 0; i < count; i++) {
        const slot = await service.booking.createSlot(schedule.id!, new Date(start + i * 3_600_000).toISOString(), new Date(start + i * 3_600_000 + 1_800_000).toISOString());
        ids.push(slot.id!);
      }
      return ids;
    },
    journalSize() {
      return (db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n;
    },
    close() {
      db.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
