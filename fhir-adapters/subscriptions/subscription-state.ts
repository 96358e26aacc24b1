// Per subscription endpoint: the last status heard and the highest event number received, and
// the port they are kept behind (SQLite in gateway/store/subscription-state-store.ts; async so a
// replicated store can implement it). Event numbers count from the subscription's start
// (eventsSinceSubscriptionStart), so a number beyond the next expected one, or a heartbeat
// reporting more events than we have, means notifications were lost and a REST catch-up is due.

export interface SubscriptionState {
  lastEvent: number;
  status: string | null;
  lastType: string | null;
}

export interface SubscriptionStateTable {
  /** Event 0, no status and no type for an endpoint never heard from. */
  get(endpoint: string): Promise<SubscriptionState>;
  record(endpoint: string, subscription: string | undefined, state: SubscriptionState): Promise<void>;
}
