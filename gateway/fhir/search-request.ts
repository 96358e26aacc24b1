// Turns search parameters (URL query or form body) into the service's SearchQuery. Unknown or
// unsupported parameters are ignored and reported (FHIR's lenient default) unless the client
// sent Prefer: handling=strict; a known parameter with a bad value is always a 400.

import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { SearchParam, SearchQuery } from '../store/service.js';
import { DATE_PREFIXES, type SearchParameterDefinition, type SearchParameterLookup } from './search-parameters.js';

export interface SearchSettings {
  defaultCount: number;
  maxCount: number;
  /** Parameters one search may carry, each comma-separated value counted: every one becomes a
   * term of the store's query, and a thousand of them is a cost, not a search. */
  maxParameters: number;
  parameters: SearchParameterLookup;
}

export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters actually applied, in request order, for the self link. */
  applied: [string, string][];
  /** Warnings for ignored parameters (lenient handling). */
  warnings: OperationOutcomeIssue[];
}

const DATE_VALUE = new RegExp(
  `^(?:${DATE_PREFIXES.join('|')})?\\d{4}` +
    '(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\\d|3[01])' +
    '(?:T(?:[01]\\d|2[0-3]):[0-5]\\d(?::(?:[0-5]\\d|60)(?:\\.\\d+)?)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)?)?)?)?$',
);
const NON_NEGATIVE_INTEGER = /^\d{1,9}$/;

function reject(text: string, expression: string): never {
  throw new OperationOutcomeError(badRequest(text, expression));
}

function normalizeValue(definition: SearchParameterDefinition, name: string, value: string): string {
  if (definition.type === 'date') {
    for (const part of value.split(',')) {
      if (!DATE_VALUE.test(part)) reject(`Invalid ${name} value ${part}: expected [eq|gt|ge|lt|le]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]`, name);
    }
  }
  // `patient` can only point at a Patient, so a bare id is unambiguous and the service sees one form.
  if (definition.code === 'patient') {
    return value
      .split(',')
      .map((part) => (part.includes('/') ? part : `Patient/${part}`))
      .join(',');
  }
  return value;
}

function countCommas(value: string): number {
  let commas = 0;
  for (let at = value.indexOf(','); at >= 0; at = value.indexOf(',', at + 1)) commas++;
  return commas;
}

function parseCount(name: string, value: string): number {
  if (!NON_NEGATIVE_INTEGER.test(value)) reject(`Invalid ${name} ${value}: expected a non-negative integer`, name);
  return Number(value);
}

export function parseSearch(
  type: string,
  input: Iterable<[string, string]>,
  settings: SearchSettings,
  strict: boolean,
): ParsedSearch {
  const known = settings.parameters(type);
  const params: SearchParam[] = [];
  const applied: [string, string][] = [];
  const warnings: OperationOutcomeIssue[] = [];
  let count = settings.defaultCount;
  let offset = 0;
  let summaryCount = false;

  const ignore = (name: string, why: string): void => {
    if (strict) reject(`${why}: ${name}`, name);
    warnings.push({ severity: 'warning', code: 'not-supported', details: { text: `${why}, ignored: ${name}` }, expression: [name] });
  };

  let terms = 0;
  const tooMany = (): never =>
    reject(
      `Too many search parameters: at most ${settings.maxParameters} search parameters (each comma-separated value counts) per search; narrow the search or split it`,
      type,
    );
  for (const [name, value] of input) {
    if (++terms > settings.maxParameters) tooMany();
    if (value === '') continue;
    if (name === '_count') {
      count = Math.min(parseCount(name, value), settings.maxCount);
      if (count === 0) summaryCount = true;
      continue;
    }
    if (name === '_offset') {
      offset = parseCount(name, value);
      continue;
    }
    if (name === '_summary') {
      if (value === 'count') {
        summaryCount = true;
        applied.push([name, value]);
      } else if (value !== 'false') {
        ignore(`${name}=${value}`, 'Unsupported _summary mode');
      }
      continue;
    }
    const colon = name.indexOf(':');
    const code = colon < 0 ? name : name.slice(0, colon);
    const definition = known.get(code);
    if (!definition) {
      ignore(name, `Unknown search parameter for ${type}`);
      continue;
    }
    if (colon >= 0) {
      ignore(name, 'Search modifiers are not supported');
      continue;
    }
    terms += countCommas(value);
    if (terms > settings.maxParameters) tooMany();
    params.push({ code, value: normalizeValue(definition, name, value) });
    applied.push([name, value]);
  }
  return { query: { type, params, count, offset, summaryCount }, applied, warnings };
}

/** _count / _offset alone, for history, where no other parameter applies. */
export function parsePage(input: Iterable<[string, string]>, settings: SearchSettings): { count: number; offset: number } {
  let count = settings.defaultCount;
  let offset = 0;
  for (const [name, value] of input) {
    if (name === '_count' && value !== '') count = Math.min(parseCount(name, value), settings.maxCount);
    else if (name === '_offset' && value !== '') offset = parseCount(name, value);
  }
  return { count, offset };
}
