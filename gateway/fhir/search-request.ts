// Turns search parameters (URL query or form body) into the service's SearchQuery. A parameter,
// modifier or chain this node does not support is a 400 by default: dropping one silently turns
// `Patient?name=…&birthdate=…` into a search for any patient (issue #15). With
// `Prefer: handling=lenient` it is ignored instead, reported in an OperationOutcome entry, and
// left out of the self link, so the client can see what was applied. A known parameter with a bad
// value is always a 400.

import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { searchParam } from '../store/search-param-name.js';
import type { IncludeSpec, SearchParam, SearchQuery } from '../store/service.js';
import { MODIFIERS, type SearchParameterDefinition, type SearchParameterLookup } from './search-parameters.js';

export interface SearchSettings {
  defaultCount: number;
  maxCount: number;
  /** Parameters one search may carry, each comma-separated value counted: every one becomes a
   * term of the store's query, and a thousand of them is a cost, not a search. */
  maxParameters: number;
  parameters: SearchParameterLookup;
}

export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters actually applied, in request order, for the self link. */
  applied: [string, string][];
  /** Warnings for ignored parameters (lenient handling). */
  warnings: OperationOutcomeIssue[];
  /** `_elements`: the top-level elements each match keeps (mandatory ones are always kept). */
  elements?: string[];
  total: TotalMode;
}

const PREFIX = '(?:eq|ne|gt|lt|ge|le|sa|eb|ap)?';
const DATE_VALUE = new RegExp(
  `^${PREFIX}\\d{4}` +
    '(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\\d|3[01])' +
    '(?:T(?:[01]\\d|2[0-3]):[0-5]\\d(?::(?:[0-5]\\d|60)(?:\\.\\d+)?)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)?)?)?)?$',
);
const NON_NEGATIVE_INTEGER = /^\d{1,9}$/;
const JSON_FORMATS: ReadonlySet<string> = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const TOTAL_MODES: ReadonlySet<string> = new Set(['none', 'estimate', 'accurate']);
const ELEMENT = /^[a-z][A-Za-z0-9]*$/;

function reject(text: string, expression: string): never {
  throw new OperationOutcomeError(badRequest(text, expression));
}

function checkValue(definition: SearchParameterDefinition, name: string, value: string): string {
  if (definition.type === 'date') {
    for (const part of value.split(',')) {
      if (!DATE_VALUE.test(part)) reject(`Invalid ${name} value ${part}: expected [eq|ne|gt|lt|ge|le|sa|eb|ap]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]`, name);
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

/** Why a modifier is not taken on this parameter, or undefined when it is. */
function modifierProblem(definition: SearchParameterDefinition, modifier: string | undefined): string | undefined {
  if (modifier === undefined) return undefined;
  if (MODIFIERS[definition.type]?.includes(modifier)) return undefined;
  if (definition.type === 'reference' && /^[A-Z][A-Za-z]+$/.test(modifier) && (!definition.targets?.length || definition.targets.includes(modifier))) {
    return undefined;
  }
  return `Search modifier :${modifier} is not supported on ${definition.code}`;
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
  const sort: NonNullable<SearchQuery['sort']> = [];
  const include: IncludeSpec[] = [];
  const revinclude: IncludeSpec[] = [];
  let elements: string[] | undefined;
  let total: TotalMode = 'accurate';
  let count = settings.defaultCount;
  let offset = 0;
  let summaryCount = false;

  const ignore = (name: string, why: string): void => {
    if (strict) reject(`${why}: ${name}. Remove it, or send Prefer: handling=lenient to have it ignored and reported`, name);
    warnings.push({ severity: 'warning', code: 'not-supported', details: { text: `${why}, ignored: ${name}` }, expression: [name] });
  };

  const includeSpec = (name: string, value: string, reverse: boolean): IncludeSpec | undefined => {
    const [source = '', code = '', target] = value.split(':');
    const definition = settings.parameters(source).get(code);
    if (definition?.type !== 'reference') {
      ignore(`${name}=${value}`, `${source}:${code} is not a reference search parameter`);
      return undefined;
    }
    if (!reverse && source !== type) {
      ignore(`${name}=${value}`, `${name} names ${source}, not the searched type ${type}`);
      return undefined;
    }
    return { source, code, ...(target ? { target } : {}), iterate: name.endsWith(':iterate') };
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
    switch (name) {
      case '_count':
        count = Math.min(parseCount(name, value), settings.maxCount);
        if (count === 0) summaryCount = true;
        continue;
      case '_offset':
        offset = parseCount(name, value);
        continue;
      case '_format':
        // Content negotiation (content-negotiation.ts) has answered anything but JSON with 406.
        if (!JSON_FORMATS.has(value.split(';')[0]!.trim())) reject(`_format ${value} is not served: this node answers in JSON only`, name);
        continue;
      case '_pretty':
        continue;
      case '_summary':
        if (value === 'count') {
          summaryCount = true;
          applied.push([name, value]);
        } else if (value !== 'false') {
          ignore(`${name}=${value}`, 'Unsupported _summary mode');
        }
        continue;
      case '_total':
        if (!TOTAL_MODES.has(value)) reject(`_total must be none, estimate or accurate, not ${value}`, name);
        total = value as TotalMode;
        applied.push([name, value]);
        continue;
      case '_elements': {
        const list = value.split(',').map((element) => element.trim());
        const bad = list.find((element) => !ELEMENT.test(element));
        if (bad !== undefined) reject(`_elements takes top-level element names, not ${bad}`, name);
        elements = [...(elements ?? []), ...list];
        applied.push([name, value]);
        continue;
      }
      case '_sort':
        for (const key of value.split(',')) {
          const descending = key.startsWith('-');
          const code = descending ? key.slice(1) : key;
          if (!known.has(code)) reject(`Unknown _sort parameter for ${type}: ${code}`, name);
          sort.push({ code, descending });
        }
        applied.push([name, value]);
        continue;
      case '_include':
      case '_include:iterate':
      case '_revinclude':
      case '_revinclude:iterate': {
        const spec = includeSpec(name, value, name.startsWith('_revinclude'));
        if (spec) {
          (name.startsWith('_revinclude') ? revinclude : include).push(spec);
          applied.push([name, value]);
        }
        continue;
      }
    }
    const param = searchParam(name, value);
    const definition = known.get(param.code);
    if (!definition) {
      ignore(name, `Unknown search parameter for ${type}`);
      continue;
    }
    if (param.chain) {
      const problem = chainProblem(definition, param, settings);
      if (problem) {
        ignore(name, problem);
        continue;
      }
    } else {
      const problem = modifierProblem(definition, param.modifier);
      if (problem) {
        ignore(name, problem);
        continue;
      }
    }
    terms += countCommas(value);
    if (terms > settings.maxParameters) tooMany();
    if (param.chain) {
      const target = settings.parameters(param.chain.type).get(param.chain.param.code)!;
      param.chain.param.value = param.chain.param.modifier === 'missing' ? value : checkValue(target, name, value);
    } else if (param.modifier !== 'missing') {
      param.value = checkValue(definition, name, value);
    }
    params.push(param);
    applied.push([name, value]);
  }
  const query: SearchQuery = { type, params, count, offset, summaryCount };
  if (sort.length) query.sort = sort;
  if (include.length) query.include = include;
  if (revinclude.length) query.revinclude = revinclude;
  return { query, applied, warnings, total, ...(elements ? { elements } : {}) };
}

/** Resolves a chain's target type in place; says why the chain cannot be searched, if it cannot. */
function chainProblem(definition: SearchParameterDefinition, param: SearchParam, settings: SearchSettings): string | undefined {
  if (definition.type !== 'reference') return `${param.code} is not a reference, so it cannot be chained`;
  const chain = param.chain!;
  if (!chain.type) {
    if (definition.targets?.length !== 1) return `${param.code} points at several types: name one, as in ${param.code}:Patient.${chain.param.code}`;
    chain.type = definition.targets[0]!;
  }
  if (definition.targets?.length && !definition.targets.includes(chain.type)) return `${param.code} cannot point at ${chain.type}`;
  if (chain.param.chain) return 'Chains go one reference deep';
  const inner = settings.parameters(chain.type).get(chain.param.code);
  if (!inner) return `Unknown search parameter for ${chain.type}: ${chain.param.code}`;
  return modifierProblem(inner, chain.param.modifier);
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
