// What a consent covers: actions (HL7 consentaction codes) and data categories. A category is a
// resource type ("Observation") or a resource type narrowed to one US Core category code
// ("Observation:laboratory", "Condition:problem-list-item"). The canonical form is sorted and
// deduplicated, so the same scope always has the same EIP-712 hashes and the same scope hash.

import { badRequest, OperationOutcomeError } from '@medplum/core';
import { AbiCoder, concat, keccak256, toUtf8Bytes } from 'ethers';
import type { Hex } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';

export const CONSENT_ACTION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentaction';
const CONSENT_ACTIONS = ['access', 'collect', 'correct', 'disclose', 'use'] as const;
export type ConsentAction = (typeof CONSENT_ACTIONS)[number];

/** The action a read or search needs. */
export const READ_ACTION: ConsentAction = 'access';

const CATEGORY = /^([A-Z][A-Za-z]{1,63})(?::([A-Za-z0-9][A-Za-z0-9._-]{0,63}))?$/;

export interface ConsentScope {
  actions: string[];
  categories: string[];
}

export interface ParsedCategory {
  resourceType: string;
  /** A category code the resource must carry in its `category` element; absent: any. */
  code?: string;
}

/** Validates and canonicalizes a scope; throws 400 with what is wrong. */
export function canonicalScope(scope: { actions?: unknown; categories?: unknown }): ConsentScope {
  const actions = stringList(scope.actions, 'actions');
  for (const action of actions) {
    if (!(CONSENT_ACTIONS as readonly string[]).includes(action)) {
      throw new OperationOutcomeError(badRequest(`Unknown consent action ${action}; use ${CONSENT_ACTIONS.join(', ')}`, 'actions'));
    }
  }
  const categories = stringList(scope.categories, 'categories');
  for (const category of categories) {
    if (!CATEGORY.test(category)) {
      throw new OperationOutcomeError(
        badRequest(`Invalid data category ${category.slice(0, 80)}: expected a resource type or Type:category-code`, 'categories'),
      );
    }
  }
  return { actions: sortedUnique(actions), categories: sortedUnique(categories) };
}

export function parseCategory(category: string): ParsedCategory {
  const match = CATEGORY.exec(category);
  if (!match) throw new Error(`invalid data category ${category}`);
  return match[2] ? { resourceType: match[1]!, code: match[2] } : { resourceType: match[1]! };
}

/** EIP-712 encoding of a string[]: keccak256 of the concatenated keccak256 of each element. */
export function stringArrayHash(values: readonly string[]): Hex {
  return keccak256(concat(values.map((value) => keccak256(toUtf8Bytes(value))))) as Hex;
}

/** The scope hash ConsentRegistry stores: keccak256(abi.encode(actionsHash, categoriesHash)). */
export function scopeHash(scope: ConsentScope): Hex {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(['bytes32', 'bytes32'], [stringArrayHash(scope.actions), stringArrayHash(scope.categories)]),
  ) as Hex;
}

/** Whether a scope lets `action` be done on `resource`. */
export function scopeCovers(scope: ConsentScope, action: ConsentAction, resource: FhirResource): boolean {
  if (!scope.actions.includes(action)) return false;
  return scope.categories.some((category) => categoryCovers(parseCategory(category), resource));
}

/** Whether a scope lets `action` be done on some resources of `resourceType` (a search may run). */
export function scopeTouchesType(scope: ConsentScope, action: ConsentAction, resourceType: string): boolean {
  return scope.actions.includes(action) && scope.categories.some((category) => parseCategory(category).resourceType === resourceType);
}

function categoryCovers(category: ParsedCategory, resource: FhirResource): boolean {
  if (category.resourceType !== resource.resourceType) return false;
  if (category.code === undefined) return true;
  return categoryCodes(resource).includes(category.code);
}

function categoryCodes(resource: FhirResource): string[] {
  const raw = resource.category;
  const concepts = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return concepts.flatMap((concept) => {
    const codings = (concept as { coding?: Array<{ code?: unknown }> })?.coding;
    return Array.isArray(codings) ? codings.map((coding) => coding?.code).filter((code): code is string => typeof code === 'string') : [];
  });
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string')) {
    throw new OperationOutcomeError(badRequest(`${name} must be a non-empty list of strings`, name));
  }
  if (value.length > 64) throw new OperationOutcomeError(badRequest(`${name} may hold at most 64 entries`, name));
  return value as string[];
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
