// The search index in SQLite and type-level search over current versions. Every parameter of the
// R5 catalog (search-catalog.ts) compiles to one SQL condition on the current pointer `c`; values
// joined by a comma are OR, repeated parameters are AND, as FHIR search defines. Anything this
// engine cannot answer exactly is a 400, never a condition quietly left out: a dropped condition
// is how a search returns the wrong patient.

import { OperationOutcomeError, badRequest } from '@medplum/core';
import { matchingBucketKeys } from './blind-date-buckets.js';
import type { Db } from './database.js';
import type { IndexChange, SearchIndexStore, SearchPage } from './ports.js';
import type { CatalogParam } from './search-catalog.js';
import { BLIND_DATE_CODES, entryKey, stringSearchCodes, type IndexEntry, type SearchIndexer } from './search-index.js';
import { searchParam } from './search-param-name.js';
import {
  approximateRange,
  MAX_STRING_PREFIX,
  normalizeString,
  numberRange,
  searchDate,
  splitPrefix,
  type Prefix,
} from './search-values.js';
import type { SearchParam, SearchQuery } from './service.js';

const MAX_OR_VALUES = 100;
/** Chains nest at most this deep (`patient.organization.name` is two). */
const MAX_CHAIN_DEPTH = 1;

type Arg = string | number;
type Statement = ReturnType<Db['prepare']>;

interface InsertTable {
  name: string;
  columns: readonly string[];
}
// Columns in primary-key order, so rows sorted as arrays are sorted as the B-tree keeps them.
const TOKEN_TABLE: InsertTable = { name: 'search_index', columns: ['type', 'param', 'value', 'qual', 'id'] };
const DATE_TABLE: InsertTable = { name: 'search_date', columns: ['type', 'param', 'low', 'high', 'id'] };
const QUANTITY_TABLE: InsertTable = { name: 'search_quantity', columns: ['type', 'param', 'value', 'unit_system', 'id', 'unit_code'] };
/** Rows per INSERT statement at most: one statement run per row cost a crossing into SQLite each. */
const INSERT_CHUNK = 32;

function compareKeys(a: readonly Arg[], b: readonly Arg[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function reject(text: string, expression?: string): never {
  throw new OperationOutcomeError(badRequest(text, expression));
}

export class SearchEngine implements SearchIndexStore {
  /** Multi-row INSERT statements by row count (1..INSERT_CHUNK), made on first use. */
  private readonly inserts = new Map<string, Statement>();
  private readonly deleteToken;
  private readonly deleteDate;
  private readonly deleteQuantity;

  constructor(
    private readonly db: Db,
    private readonly indexer: SearchIndexer,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.deleteToken = db.prepare('DELETE FROM search_index WHERE type = ? AND param = ? AND value = ? AND qual = ? AND id = ?');
    this.deleteDate = db.prepare('DELETE FROM search_date WHERE type = ? AND param = ? AND low = ? AND high = ? AND id = ?');
    this.deleteQuantity = db.prepare('DELETE FROM search_quantity WHERE type = ? AND param = ? AND value = ? AND unit_system = ? AND id = ?');
  }

  /**
   * Moves a resource's rows from the entries of the version it replaces to those of the new one.
   * Only rows that differ are touched, each by its full key: the tables have no index by owner.
   */
  replace(type: string, id: string, previous: readonly IndexEntry[], next: readonly IndexEntry[]): void {
    this.apply([{ type, id, remove: previous, add: next }]);
  }

  /**
   * Applies many resources' changes at once: rows in `remove` and not in `add` are deleted by
   * their full key (a row that is not there is no error), rows in `add` are inserted unless there
   * (INSERT OR IGNORE). From either state, `remove` or `add`, the result is `add`: applying a
   * change twice is harmless, which the deferred index writer relies on (deferred-index.ts). The
   * inserts of all the changes go in sorted by key and many to a statement, so consecutive rows
   * land on the same B-tree pages and a commit writes each page once.
   */
  apply(changes: readonly IndexChange[]): void {
    const tokens: Arg[][] = [];
    const dates: Arg[][] = [];
    const quantities: Arg[][] = [];
    for (const { type, id, remove, add } of changes) {
      if (remove.length > 0) {
        const adding = new Set(add.map(entryKey));
        for (const entry of remove) if (!adding.has(entryKey(entry))) this.delete(type, id, entry);
      }
      // Key order (the tables' primary keys), with the columns the INSERT names after them.
      for (const entry of add) {
        if ('value' in entry) tokens.push([type, entry.param, entry.value, entry.qual, id]);
        else if ('low' in entry) dates.push([type, entry.param, entry.low, entry.high, id]);
        else quantities.push([type, entry.param, entry.number, entry.unitSystem, id, entry.unitCode]);
      }
    }
    this.insertRows(TOKEN_TABLE, tokens);
    this.insertRows(DATE_TABLE, dates);
    this.insertRows(QUANTITY_TABLE, quantities);
  }

  /** Empties the index, before the store indexes every current resource again. */
  clearAll(): void {
    this.db.exec('DELETE FROM search_index; DELETE FROM search_date; DELETE FROM search_quantity;');
  }

  private insertRows(table: InsertTable, rows: Arg[][]): void {
    if (rows.length === 0) return;
    if (rows.length > 1) rows.sort(compareKeys);
    for (let at = 0; at < rows.length; at += INSERT_CHUNK) {
      const chunk = rows.slice(at, at + INSERT_CHUNK);
      const key = `${table.name}:${chunk.length}`;
      let statement = this.inserts.get(key);
      if (!statement) {
        const row = `(${table.columns.map(() => '?').join(', ')})`;
        statement = this.db.prepare(`INSERT OR IGNORE INTO ${table.name} (${table.columns.join(', ')}) VALUES ${Array.from({ length: chunk.length }, () => row).join(', ')}`);
        this.inserts.set(key, statement);
      }
      statement.run(chunk.flat());
    }
  }

  private delete(type: string, id: string, entry: IndexEntry): void {
    if ('value' in entry) this.deleteToken.run(type, entry.param, entry.value, entry.qual, id);
    else if ('low' in entry) this.deleteDate.run(type, entry.param, entry.low, entry.high, id);
    else this.deleteQuantity.run(type, entry.param, entry.number, entry.unitSystem, id);
  }

  find(query: SearchQuery): SearchPage {
    const args: Arg[] = [];
    const where = this.where(query.type, query.params, args);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM resource_current c WHERE ${where}`).get(...args) as { n: number }).n;
    if (query.summaryCount || query.count === 0) return { total, ids: [] };
    const orderArgs: Arg[] = [];
    const order = this.order(query, orderArgs);
    const rows = this.db
      .prepare(`SELECT c.id AS id, c.version_id AS versionId FROM resource_current c WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...args, ...orderArgs, query.count, query.offset) as Array<{ id: string; versionId: number }>;
    return { total, ids: rows };
  }

  /** Ids matching a conditional-create query string such as `identifier=http://x|123`. */
  matchingIds(type: string, queryString: string): string[] {
    const params: SearchParam[] = [];
    for (const [name, value] of new URLSearchParams(queryString)) params.push(searchParam(name, value));
    if (params.length === 0) reject('If-None-Exist needs at least one search parameter');
    const args: Arg[] = [];
    const where = this.where(type, params, args);
    const rows = this.db.prepare(`SELECT c.id AS id FROM resource_current c WHERE ${where} LIMIT 2`).all(...args) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }

  /** The references a reference parameter of these resources holds (for `_include`). */
  referencesFrom(type: string, ids: readonly string[], code: string): string[] {
    if (ids.length === 0) return [];
    const shared = this.indexer.aliasOf(type, code);
    const rows = this.db
      .prepare(`SELECT DISTINCT value FROM search_index WHERE type = ? AND param = ? AND id IN (${ids.map(() => '?').join(',')})`)
      .all(type, shared?.code ?? code, ...ids) as Array<{ value: string }>;
    const references = rows.map((row) => row.value);
    return shared ? references.filter((reference) => reference.startsWith(shared.prefix)) : references;
  }

  /** Current resources of `type` whose reference parameter points at one of `references` (for `_revinclude`). */
  referrers(type: string, code: string, references: readonly string[], limit: number): Array<{ id: string; versionId: number }> {
    const shared = this.indexer.aliasOf(type, code);
    if (shared) {
      code = shared.code;
      references = references.filter((reference) => reference.startsWith(shared.prefix));
    }
    if (references.length === 0) return [];
    return this.db
      .prepare(
        `SELECT DISTINCT c.id AS id, c.version_id AS versionId FROM search_index s JOIN resource_current c ON c.type = s.type AND c.id = s.id
         WHERE s.type = ? AND s.param = ? AND s.value IN (${references.map(() => '?').join(',')}) AND c.deleted = 0 LIMIT ?`,
      )
      .all(type, code, ...references, limit) as Array<{ id: string; versionId: number }>;
  }

  private where(type: string, params: readonly SearchParam[], args: Arg[]): string {
    args.push(type);
    const clauses = ['c.type = ?', 'c.deleted = 0'];
    for (const param of params) clauses.push(this.condition('c', type, param, args, 0));
    return clauses.join(' AND ');
  }

  private condition(alias: string, type: string, param: SearchParam, args: Arg[], depth: number): string {
    if (param.chain) return this.chained(alias, type, param, args, depth);
    const values = param.value.split(',').filter((value) => value.length > 0);
    if (values.length === 0 || values.length > MAX_OR_VALUES) reject(`Search parameter ${param.code} needs 1 to ${MAX_OR_VALUES} values`, param.code);
    if (param.code === '_id') {
      if (param.modifier) reject(`Search modifier :${param.modifier} is not supported on _id`, param.code);
      args.push(...values);
      return `${alias}.id IN (${values.map(() => '?').join(',')})`;
    }
    if (param.code === '_lastUpdated') {
      if (param.modifier) reject(`Search modifier :${param.modifier} is not supported on _lastUpdated`, param.code);
      return anyOf(values.map((value) => this.lastUpdatedClause(alias, value, args)));
    }
    const definition = this.indexer.catalog.forType(type).get(param.code);
    if (!definition) reject(`Unknown search parameter for ${type}: ${param.code}`, param.code);
    if (param.modifier === 'missing') return this.missing(alias, type, definition, param.value, args);
    switch (definition.type) {
      case 'token':
        return this.token(alias, type, definition, param, values, args);
      case 'string':
        return this.string(alias, type, definition, param, values, args);
      case 'date':
        if (param.modifier) reject(`Search modifier :${param.modifier} is not supported on ${param.code}`, param.code);
        return BLIND_DATE_CODES.has(definition.code)
          ? this.blindDate(alias, type, definition, values, args)
          : this.clearDate(alias, type, definition, values, args);
      case 'quantity':
        if (param.modifier) reject(`Search modifier :${param.modifier} is not supported on ${param.code}`, param.code);
        return this.quantity(alias, type, definition, values, args);
      case 'reference':
        return this.reference(alias, type, definition, param, values, args);
    }
  }

  /**
   * Resources of `type` with one of `values` for the parameter. Every condition is an uncorrelated
   * `id IN (…)` on the index, which SQLite evaluates once per search rather than once per row.
   */
  private indexed(alias: string, type: string, code: string | readonly string[], values: readonly string[], args: Arg[]): string {
    const codes = typeof code === 'string' ? [code] : code;
    args.push(type, ...codes, ...values);
    return `${alias}.id IN (SELECT s.id FROM search_index s WHERE s.type = ? AND s.param IN (${codes.map(() => '?').join(',')}) AND s.value IN (${values
      .map(() => '?')
      .join(',')}))`;
  }

  private missing(alias: string, type: string, definition: CatalogParam, value: string, args: Arg[]): string {
    if (value !== 'true' && value !== 'false') reject(`${definition.code}:missing takes true or false, not ${value}`, definition.code);
    const shared = this.indexer.aliasOf(type, definition.code);
    if (shared) {
      args.push(type, shared.code, shared.prefix, prefixEnd(shared.prefix));
      return `${alias}.id ${value === 'true' ? 'NOT IN' : 'IN'} (SELECT m.id FROM search_index m WHERE m.type = ? AND m.param = ? AND m.value >= ? AND m.value < ?)`;
    }
    const table = definition.type === 'quantity' ? 'search_quantity' : definition.type === 'date' && !BLIND_DATE_CODES.has(definition.code) ? 'search_date' : 'search_index';
    const codes = definition.type === 'string' ? stringSearchCodes(this.indexer.catalog, type, definition.code) : [definition.code];
    args.push(type, ...codes);
    return `${alias}.id ${value === 'true' ? 'NOT IN' : 'IN'} (SELECT m.id FROM ${table} m WHERE m.type = ? AND m.param IN (${codes.map(() => '?').join(',')}))`;
  }

  private token(alias: string, type: string, definition: CatalogParam, param: SearchParam, values: string[], args: Arg[]): string {
    if (param.modifier && param.modifier !== 'not') {
      reject(
        `Search modifier :${param.modifier} is not supported on ${param.code}: the index holds keyed hashes of codes, not their text; use system|code, :not or :missing`,
        param.code,
      );
    }
    const plain: string[] = [];
    const qualified: Array<{ value: string; qual: string }> = [];
    for (const value of values) {
      const bar = value.indexOf('|');
      if (bar < 0) {
        plain.push(this.indexer.blind(`any|${value}`));
        continue;
      }
      const system = value.slice(0, bar);
      const code = value.slice(bar + 1);
      if (system === '' && code === '') reject(`${param.code}=| names neither a system nor a code`, param.code);
      if (code !== '') {
        qualified.push({ value: this.indexer.blind(`any|${code}`), qual: system === '' ? '' : this.indexer.blind(`sys|${system}|${code}`) });
        continue;
      }
      // What search-index.ts indexes for identifiers only.
      if (definition.code !== 'identifier') reject(`${param.code}=${value}: system| is searched on identifier only; send system|code or code`, param.code);
      plain.push(this.indexer.blind(`sysonly|${system}`));
    }
    const conditions = plain.length > 0 ? [this.indexed(alias, type, definition.code, plain, args)] : [];
    for (const { value, qual } of qualified) {
      args.push(type, definition.code, value, qual);
      conditions.push(`${alias}.id IN (SELECT s.id FROM search_index s WHERE s.type = ? AND s.param = ? AND s.value = ? AND s.qual = ?)`);
    }
    const match = anyOf(conditions);
    // :not matches resources without the code, those without the element at all included.
    return param.modifier === 'not' ? `NOT ${match}` : match;
  }

  private string(alias: string, type: string, definition: CatalogParam, param: SearchParam, values: string[], args: Arg[]): string {
    if (param.modifier && param.modifier !== 'exact') {
      reject(
        `Search modifier :${param.modifier} is not supported on ${param.code}: names are indexed as keyed hashes of their prefixes (docs/search.md); search by prefix (the default) or :exact`,
        param.code,
      );
    }
    const hashes = values.map((value) => {
      if (param.modifier === 'exact') return this.indexer.blind(`x|${value}`);
      const normalized = normalizeString(value);
      if (normalized.length === 0) reject(`${param.code} needs a value`, param.code);
      if (normalized.length > MAX_STRING_PREFIX) reject(`${param.code} values are compared on at most ${MAX_STRING_PREFIX} characters; shorten it`, param.code);
      return this.indexer.blind(`p|${normalized}`);
    });
    return this.indexed(alias, type, stringSearchCodes(this.indexer.catalog, type, definition.code), hashes, args);
  }

  private blindDate(alias: string, type: string, definition: CatalogParam, values: string[], args: Arg[]): string {
    const hashes = values.flatMap((value) => {
      const { prefix, range } = searchDate(definition.code, value);
      const window = prefix === 'ap' ? { ...range, ...approximateRange(range, this.now().getTime()) } : range;
      return matchingBucketKeys(prefix, window, this.now()).map((key) => this.indexer.blind(key));
    });
    // A range that no date in the expansion window satisfies matches nothing.
    return hashes.length === 0 ? '0' : this.indexed(alias, type, definition.code, hashes, args);
  }

  private clearDate(alias: string, type: string, definition: CatalogParam, values: string[], args: Arg[]): string {
    const conditions = values.map((value) => {
      const { prefix, range } = searchDate(definition.code, value);
      const { low, high } = prefix === 'ap' ? approximateRange(range, this.now().getTime()) : range;
      const [sql, bounds] = rangePredicate(prefix, 'd.low', 'd.high', low, high);
      args.push(type, definition.code, ...bounds);
      return `${alias}.id IN (SELECT d.id FROM search_date d WHERE d.type = ? AND d.param = ? AND ${sql})`;
    });
    return anyOf(conditions);
  }

  private lastUpdatedClause(alias: string, value: string, args: Arg[]): string {
    const { prefix, range } = searchDate('_lastUpdated', value);
    const { low, high } = prefix === 'ap' ? approximateRange(range, this.now().getTime()) : range;
    const column = `${alias}.last_updated`;
    // A stored instant is a point: [t, t].
    const [sql, bounds] = pointPredicate(prefix, column, low, high);
    args.push(...bounds);
    return sql;
  }

  private quantity(alias: string, type: string, definition: CatalogParam, values: string[], args: Arg[]): string {
    const conditions = values.map((raw) => {
      const { prefix, value: rest } = splitPrefix(raw);
      const [numberText = '', system, code] = rest.split('|');
      const { value, low, high } = numberRange(definition.code, numberText);
      let unit = '';
      if (code !== undefined && code !== '') {
        unit = system ? ' AND q.unit_system = ?' : ' AND q.unit_code = ?';
      } else if (system) {
        reject(`${definition.code}: a system needs a code (number|system|code)`, definition.code);
      }
      const [sql, bounds] = numberPredicate(prefix, 'q.value', value, low, high);
      args.push(type, definition.code, ...bounds);
      if (unit) args.push(this.indexer.blind(system ? `q|${system}|${code}` : `q||${code}`));
      return `${alias}.id IN (SELECT q.id FROM search_quantity q WHERE q.type = ? AND q.param = ? AND ${sql}${unit})`;
    });
    return anyOf(conditions);
  }

  private reference(alias: string, type: string, definition: CatalogParam, param: SearchParam, values: string[], args: Arg[]): string {
    const typed = param.modifier;
    if (typed && !/^[A-Z][A-Za-z]+$/.test(typed)) reject(`Search modifier :${typed} is not supported on ${param.code}`, param.code);
    if (typed && definition.targets.length > 0 && !definition.targets.includes(typed)) {
      reject(`${param.code} cannot point at ${typed}; it points at ${definition.targets.join(', ')}`, param.code);
    }
    const references = values.flatMap((value) => {
      const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(value);
      if (match) return [`${match[1]}/${match[2]}`];
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(value)) reject(`Invalid ${param.code} value ${value}: expected Type/id or an id`, param.code);
      const types = typed ? [typed] : definition.targets;
      if (types.length === 0) reject(`${param.code}=${value} needs a type: Type/${value}`, param.code);
      return types.map((target) => `${target}/${value}`);
    });
    const shared = this.indexer.aliasOf(type, definition.code);
    if (!shared) return this.indexed(alias, type, definition.code, references, args);
    const narrowed = references.filter((reference) => reference.startsWith(shared.prefix));
    // `patient=Group/1` names no Patient, so nothing has it as its patient.
    return narrowed.length === 0 ? '0' : this.indexed(alias, type, shared.code, narrowed, args);
  }

  private chained(alias: string, type: string, param: SearchParam, args: Arg[], depth: number): string {
    if (depth >= MAX_CHAIN_DEPTH) reject(`Chained search goes at most ${MAX_CHAIN_DEPTH} reference deep: ${param.code}`, param.code);
    const definition = this.indexer.catalog.forType(type).get(param.code);
    if (definition?.type !== 'reference') reject(`${param.code} is not a reference parameter of ${type}, so it cannot be chained`, param.code);
    const target = param.chain!.type || (definition.targets.length === 1 ? definition.targets[0]! : '');
    if (!target) reject(`${param.code} points at ${definition.targets.join(', ')}: name the type, as in ${param.code}:Patient.identifier`, param.code);
    if (definition.targets.length > 0 && !definition.targets.includes(target)) {
      reject(`${param.code} cannot point at ${target}; it points at ${definition.targets.join(', ')}`, param.code);
    }
    const inner = `t${depth}`;
    const chainedArgs: Arg[] = [];
    const condition = this.condition(inner, target, param.chain!.param, chainedArgs, depth + 1);
    // The referenced resources first (current, matching), then who points at them.
    // An aliased parameter (search-index.ts) reads the rows of the one it narrows: its targets are
    // the narrowing type, so every `${target}/id` compared below is one it would hold.
    args.push(type, this.indexer.aliasOf(type, definition.code)?.code ?? definition.code, `${target}/`, target, ...chainedArgs);
    return `${alias}.id IN (SELECT s.id FROM search_index s WHERE s.type = ? AND s.param = ? AND s.value IN
      (SELECT ? || ${inner}.id FROM resource_current ${inner} WHERE ${inner}.type = ? AND ${inner}.deleted = 0 AND ${condition}))`;
  }

  private order(query: SearchQuery, args: Arg[]): string {
    const keys = query.sort?.length ? query.sort : [{ code: '_lastUpdated', descending: false }];
    const parts = keys.map(({ code, descending }) => {
      const direction = descending ? 'DESC' : 'ASC';
      if (code === '_id') return `c.id ${direction}`;
      if (code === '_lastUpdated') return `c.last_updated ${direction}`;
      const definition = this.indexer.catalog.forType(query.type).get(code);
      if (definition?.type === 'date' && !BLIND_DATE_CODES.has(code)) {
        args.push(code);
        const bound = descending ? 'MAX(d.high)' : 'MIN(d.low)';
        return `(SELECT ${bound} FROM search_date d WHERE d.type = c.type AND d.id = c.id AND d.param = ?) ${direction} NULLS LAST`;
      }
      if (definition?.type === 'quantity') {
        args.push(code);
        const bound = descending ? 'MAX(q.value)' : 'MIN(q.value)';
        return `(SELECT ${bound} FROM search_quantity q WHERE q.type = c.type AND q.id = c.id AND q.param = ?) ${direction} NULLS LAST`;
      }
      return reject(
        definition
          ? `Cannot sort by ${code}: the index holds keyed hashes of its values, which have no order; sort by _id, _lastUpdated, a date or a quantity`
          : `Unknown _sort parameter for ${query.type}: ${code}`,
        '_sort',
      );
    });
    if (!keys.some((key) => key.code === '_id')) parts.push('c.id ASC');
    return parts.join(', ');
  }
}

/** The first string after every string that starts with `prefix`: `Patient/` gives `Patient0`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function anyOf(conditions: string[]): string {
  return conditions.length === 1 ? conditions[0]! : `(${conditions.join(' OR ')})`;
}

/** A stored range [low, high) against a search range, as FHIR defines each prefix. */
function rangePredicate(prefix: Prefix, low: string, high: string, qLow: string, qHigh: string): [string, Arg[]] {
  switch (prefix) {
    case 'eq':
      return [`${low} >= ? AND ${high} <= ?`, [qLow, qHigh]];
    case 'ne':
      return [`(${low} < ? OR ${high} > ?)`, [qLow, qHigh]];
    case 'gt':
      return [`${high} > ?`, [qHigh]];
    case 'lt':
      return [`${low} < ?`, [qLow]];
    case 'ge':
      return [`${high} > ?`, [qLow]];
    case 'le':
      return [`${low} < ?`, [qHigh]];
    case 'sa':
      return [`${low} >= ?`, [qHigh]];
    case 'eb':
      return [`${high} <= ?`, [qLow]];
    case 'ap':
      return [`${high} > ? AND ${low} < ?`, [qLow, qHigh]];
  }
}

/** A stored instant against a search range. */
function pointPredicate(prefix: Prefix, column: string, qLow: string, qHigh: string): [string, Arg[]] {
  switch (prefix) {
    case 'eq':
    case 'ap':
      return [`${column} >= ? AND ${column} < ?`, [qLow, qHigh]];
    case 'ne':
      return [`(${column} < ? OR ${column} >= ?)`, [qLow, qHigh]];
    case 'gt':
    case 'sa':
      return [`${column} >= ?`, [qHigh]];
    case 'ge':
      return [`${column} >= ?`, [qLow]];
    case 'lt':
    case 'eb':
      return [`${column} < ?`, [qLow]];
    case 'le':
      return [`${column} < ?`, [qHigh]];
  }
}

/** A stored number against a search number: `eq` and `ne` use the range its precision implies. */
function numberPredicate(prefix: Prefix, column: string, value: number, low: number, high: number): [string, Arg[]] {
  switch (prefix) {
    case 'eq':
      return [`${column} >= ? AND ${column} < ?`, [low, high]];
    case 'ne':
      return [`(${column} < ? OR ${column} >= ?)`, [low, high]];
    case 'gt':
    case 'sa':
      return [`${column} > ?`, [value]];
    case 'lt':
    case 'eb':
      return [`${column} < ?`, [value]];
    case 'ge':
      return [`${column} >= ?`, [value]];
    case 'le':
      return [`${column} <= ?`, [value]];
    case 'ap': {
      const margin = Math.abs(value) * 0.1;
      return [`${column} >= ? AND ${column} <= ?`, [value - margin, value + margin]];
    }
  }
}
