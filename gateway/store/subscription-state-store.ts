// Subscriptions state in SQLite (table subscription_state, schema/adapters.ts), behind the port
// the receiver declares (fhir-adapters/subscriptions/subscription-state.ts).

import type { SubscriptionState, SubscriptionStateTable } from '../../fhir-adapters/subscriptions/subscription-state.js';
import type { Db } from './database.js';

export class SubscriptionStateStore implements SubscriptionStateTable {
  private readonly select;
  private readonly upsert;

  constructor(db: Db) {
    this.select = db.prepare('SELECT last_event, status, last_type FROM subscription_state WHERE endpoint = ?');
    this.upsert = db.prepare(`INSERT INTO subscription_state (endpoint, subscription, last_event, status, last_type, updated_at)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET subscription = excluded.subscription,
      last_event = excluded.last_event, status = excluded.status, last_type = excluded.last_type, updated_at = excluded.updated_at`);
  }

  async get(endpoint: string): Promise<SubscriptionState> {
    const row = this.select.get(endpoint) as { last_event: number; status: string | null; last_type: string | null } | undefined;
    return { lastEvent: row?.last_event ?? 0, status: row?.status ?? null, lastType: row?.last_type ?? null };
  }

  async record(endpoint: string, subscription: string | undefined, state: SubscriptionState): Promise<void> {
    this.upsert.run(endpoint, subscription ?? null, state.lastEvent, state.status, state.lastType, Date.now());
  }
}
