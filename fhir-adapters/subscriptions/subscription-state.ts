// Per subscription endpoint: the last status heard and the highest event number received, in the
// node's database. Event numbers count from the subscription's start (eventsSinceSubscriptionStart),
// so a number beyond the next expected one, or a heartbeat reporting more events than we have,
// means notifications were lost and a REST catch-up is due.

import type { Db } from '../../gateway/store/database.js';

export interface SubscriptionState {
  lastEvent: number;
  status: string | null;
  lastType: string | null;
}

export class SubscriptionStateStore {
  private readonly select;
  private readonly upsert;

  constructor(db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS subscription_state (
      endpoint TEXT PRIMARY KEY,
      subscription TEXT,
      last_event INTEGER NOT NULL DEFAULT 0,
      status TEXT,
      last_type TEXT,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.select = db.prepare('SELECT last_event, status, last_type FROM subscription_state WHERE endpoint = ?');
    this.upsert = db.prepare(`INSERT INTO subscription_state (endpoint, subscription, last_event, status, last_type, updated_at)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET subscription = excluded.subscription,
      last_event = excluded.last_event, status = excluded.status, last_type = excluded.last_type, updated_at = excluded.updated_at`);
  }

  get(endpoint: string): SubscriptionState {
    const row = this.select.get(endpoint) as { last_event: number; status: string | null; last_type: string | null } | undefined;
    return { lastEvent: row?.last_event ?? 0, status: row?.status ?? null, lastType: row?.last_type ?? null };
  }

  record(endpoint: string, subscription: string | undefined, state: SubscriptionState): void {
    this.upsert.run(endpoint, subscription ?? null, state.lastEvent, state.status, state.lastType, Date.now());
  }
}
