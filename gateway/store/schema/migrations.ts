// The database schema in order. A database records how many of these steps it has taken in
// SQLite's user_version; opening it applies the rest, each in one transaction. Steps are
// idempotent (IF NOT EXISTS, columns added only when missing): data dirs whose area tables were
// created lazily, before the schema lived here, open unchanged.
//
// Add a table to the area file that holds its kind of data (core.ts, consent.ts...) when the
// step that creates it has not shipped yet; once a step has shipped, add a new step instead.

import type Database from 'better-sqlite3';
import { ADAPTERS_ADDED_COLUMNS, ADAPTERS_SCHEMA } from './adapters.js';
import { AUTH_SCHEMA } from './auth.js';
import { CONSENT_SCHEMA } from './consent.js';
import { CORE_SCHEMA } from './core.js';
import { SEARCH_MOVED_OUT, SEARCH_SCHEMA } from './search.js';
import { TELEHEALTH_MESSAGES_SCHEMA } from './telehealth-messages.js';
import { TELEHEALTH_SCHEMA } from './telehealth.js';
import { TELEHEALTH_RELAY_SCHEMA } from './telehealth-relay.js';

interface Migration {
  /** DDL run as it stands. */
  ddl: string;
  /** Columns added to existing tables, each only when the table lacks it. */
  addedColumns?: ReadonlyArray<{ table: string; column: string; definition: string }>;
}

export const MIGRATIONS: readonly Migration[] = [
  { ddl: CORE_SCHEMA },
  // The areas' tables, which their modules used to create on first use.
  { ddl: [AUTH_SCHEMA, CONSENT_SCHEMA, ADAPTERS_SCHEMA].join('\n'), addedColumns: ADAPTERS_ADDED_COLUMNS },
  // Telehealth: in-session messages and files, the visit-note outbox.
  { ddl: TELEHEALTH_MESSAGES_SCHEMA },
  // Telehealth: the consult workflow (sessions, slot holds, participants, event log, chain outbox).
  { ddl: TELEHEALTH_SCHEMA },
  // Telehealth: the redeemed join-token ids of the signaling relay.
  { ddl: TELEHEALTH_RELAY_SCHEMA },
  // Search: clinical date ranges and quantity values (search-index.ts).
  { ddl: SEARCH_SCHEMA },
  // Search: the tables move to their own file, written by their own thread (search-file.ts).
  { ddl: SEARCH_MOVED_OUT },
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    const step = MIGRATIONS[version]!;
    db.transaction(() => {
      db.exec(step.ddl);
      for (const { table, column, definition } of step.addedColumns ?? []) {
        const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
        if (!columns.some((existing) => existing.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
      }
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
