// The search index in SQLite and type-level search over current versions: the common parameters
// every resource type shares (_id, _lastUpdated) and the indexed reference/identifier parameters.
// Values joined by a comma are OR; repeated parameters are AND, as FHIR search defines.

import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { Db } from './database.js';
import type { SearchIndexStore, SearchPage } from './ports.js';
import type { IndexEntry, SearchIndexer } from './search-index.js';
import type { SearchParam, SearchQuery } from './service.js';

const INDEXED_PARAMS = new Set(['identifier', 'patient', 'subject', 'target', 'encounter']);
const MAX_OR_VALUES = 100;

interface CompiledQuery {
  where: string;
  args: Array<string | number>;
  order: string;
}

export class SearchEngine implements SearchIndexStore {
  private readonly clearIndex;
  private readonly insertIndex;

  constructor(
    private readonly db: Db,
    private readonly indexer: SearchIndexer,
  ) {
    this.clearIndex = db.prepare('DELETE FROM search_index WHERE type = ? AND id = ?');
    this.insertIndex = db.prepare('INSERT INTO search_index (type, id, param, value) VALUES (?, ?, ?, ?)');
  }

  replace(type: string, id: string, entries: readonly IndexEntry[], hadEarlierVersion: boolean): void {
    if (hadEarlierVersion) this.clearIndex.run(type, id);
    for (const entry of entries) this.insertIndex.run(type, id, entry.param, entry.value);
  }

  find(query: SearchQuery): SearchPage {
    const compiled = this.compile(query.type, query.params);
    const total = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM resource_current c WHERE ${compiled.where}`).get(...compiled.args) as { n: number }
    ).n;
    if (query.summaryCount || query.count === 0) return { total, ids: [] };
    const rows = this.db
      .prepare(`SELECT c.id AS id, c.version_id AS versionId FROM resource_current c WHERE ${compiled.where} ORDER BY ${compiled.order} LIMIT ? OFFSET ?`)
      .all(...compiled.args, query.count, query.offset) as Array<{ id: string; versionId: number }>;
    return { total, ids: rows };
  }

  /** Ids matching a conditional-create query string such as `identifier=http://x|123`. */
  matchingIds(type: string, queryString: string): string[] {
    const params: SearchParam[] = [];
    for (const [name, value] of new URLSearchParams(queryString)) {
      const [code, modifier] = name.split(':');
      params.push({ code: code!, modifier, value });
    }
    if (params.length === 0) throw new OperationOutcomeError(badRequest('If-None-Exist needs at least one search parameter'));
    const compiled = this.compile(type, params);
    const rows = this.db.prepare(`SELECT c.id AS id FROM resource_current c WHERE ${compiled.where} LIMIT 2`).all(...compiled.args) as Array<{
      id: string;
    }>;
    return rows.map((row) => row.id);
  }

  private compile(type: string, params: SearchParam[]): CompiledQuery {
    const clauses = ['c.type = ?', 'c.deleted = 0'];
    const args: Array<string | number> = [type];
    let order = 'c.last_updated ASC, c.id ASC';
    for (const param of params) {
      if (param.modifier && param.code !== 'identifier') {
        throw new OperationOutcomeError(badRequest(`Search modifier :${param.modifier} is not supported on ${param.code}`));
      }
      const values = param.value.split(',').filter((value) => value.length > 0);
      if (values.length === 0 || values.length > MAX_OR_VALUES) {
        throw new OperationOutcomeError(badRequest(`Search parameter ${param.code} needs 1 to ${MAX_OR_VALUES} values`));
      }
      if (param.code === '_id') {
        clauses.push(`c.id IN (${values.map(() => '?').join(',')})`);
        args.push(...values);
      } else if (param.code === '_lastUpdated') {
        for (const value of values) {
          const { sql, bounds } = dateClause(value);
          clauses.push(sql);
          args.push(...bounds);
        }
      } else if (param.code === '_sort') {
        order = sortOrder(param.value);
      } else if (INDEXED_PARAMS.has(param.code)) {
        if (param.code === 'identifier' && param.modifier) {
          throw new OperationOutcomeError(badRequest(`Search modifier :${param.modifier} is not supported on identifier`));
        }
        const tokens = values.map((value) => this.indexValue(param.code, value));
        clauses.push(
          `EXISTS (SELECT 1 FROM search_index s WHERE s.type = c.type AND s.id = c.id AND s.param = ? AND s.value IN (${tokens
            .map(() => '?')
            .join(',')}))`,
        );
        args.push(param.code, ...tokens);
      } else {
        throw new OperationOutcomeError(badRequest(`Unsupported search parameter: ${param.code}`));
      }
    }
    return { where: clauses.join(' AND '), args, order };
  }

  private indexValue(code: string, value: string): string {
    if (code === 'identifier') return this.indexer.queryToken(value);
    if (code === 'patient' && !value.includes('/')) return `Patient/${value}`;
    return value;
  }
}

function sortOrder(value: string): string {
  switch (value) {
    case '_lastUpdated':
      return 'c.last_updated ASC, c.id ASC';
    case '-_lastUpdated':
      return 'c.last_updated DESC, c.id DESC';
    case '_id':
      return 'c.id ASC';
    case '-_id':
      return 'c.id DESC';
    default:
      throw new OperationOutcomeError(badRequest(`Unsupported _sort: ${value}`));
  }
}

const DATE_PREFIXES = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sa', 'eb'] as const;
type DatePrefix = (typeof DATE_PREFIXES)[number];

/**
 * A date search value is a range, [start, end), given by its precision: `2024` is the whole
 * year. Stored timestamps are UTC ISO strings, which compare correctly as text.
 */
function dateClause(raw: string): { sql: string; bounds: string[] } {
  const prefix = (DATE_PREFIXES as readonly string[]).includes(raw.slice(0, 2)) ? (raw.slice(0, 2) as DatePrefix) : 'eq';
  const value = prefix === 'eq' && !raw.startsWith('eq') ? raw : raw.slice(2);
  const [start, end] = dateRange(value);
  switch (prefix) {
    case 'eq':
      return { sql: 'c.last_updated >= ? AND c.last_updated < ?', bounds: [start, end] };
    case 'ne':
      return { sql: '(c.last_updated < ? OR c.last_updated >= ?)', bounds: [start, end] };
    case 'gt':
    case 'sa':
      return { sql: 'c.last_updated >= ?', bounds: [end] };
    case 'ge':
      return { sql: 'c.last_updated >= ?', bounds: [start] };
    case 'lt':
    case 'eb':
      return { sql: 'c.last_updated < ?', bounds: [start] };
    case 'le':
      return { sql: 'c.last_updated < ?', bounds: [end] };
  }
}

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function dateRange(value: string): [string, string] {
  const match = DATE_PATTERN.exec(value);
  if (!match) throw new OperationOutcomeError(badRequest(`Invalid date search value: ${value}`));
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const y = Number(year);
  if (!month) return [utc(y, 0, 1), utc(y + 1, 0, 1)];
  const m = Number(month) - 1;
  if (!day) return [utc(y, m, 1), utc(y, m + 1, 1)];
  const d = Number(day);
  if (!hour) return [utc(y, m, d), utc(y, m, d + 1)];
  const base = `${year}-${month}-${day}T${hour}:${minute}:${second ?? '00'}${fraction ? `.${fraction}` : ''}${zone ?? 'Z'}`;
  const start = new Date(base);
  if (Number.isNaN(start.getTime())) throw new OperationOutcomeError(badRequest(`Invalid date search value: ${value}`));
  const stepMs = fraction ? 1 : second ? 1000 : 60_000;
  return [start.toISOString(), new Date(start.getTime() + stepMs).toISOString()];
}

function utc(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month, day)).toISOString();
}
