// Search parameters the node indexes, extracted from R5 content. Identifier values are MRNs and
// the like, so they are stored as keyed hashes (a blind index): the database can match a
// search without holding the identifiers in the clear.

import { createHmac } from 'node:crypto';
import type { FhirResource } from './service.js';

export interface IndexEntry {
  param: string;
  value: string;
}

/** Reference elements that place a resource in a patient's compartment, by R5 element name. */
const PATIENT_REFERENCE_ELEMENTS = ['subject', 'patient', 'beneficiary'] as const;

export class SearchIndexer {
  private readonly blindKey: Buffer;

  constructor(masterKey: Buffer) {
    this.blindKey = createHmac('sha256', masterKey).update('careledger-blind-index-v1').digest();
  }

  entries(resource: FhirResource): IndexEntry[] {
    const out: IndexEntry[] = [];
    const identifiers = resource.identifier;
    if (Array.isArray(identifiers)) {
      for (const identifier of identifiers as Array<{ system?: string; value?: string }>) {
        if (typeof identifier?.value !== 'string') continue;
        out.push({ param: 'identifier', value: this.identifierToken(identifier.system ?? '', identifier.value) });
        out.push({ param: 'identifier', value: this.identifierToken(undefined, identifier.value) });
      }
    }
    for (const element of PATIENT_REFERENCE_ELEMENTS) {
      const reference = referenceOf(resource[element]);
      if (!reference) continue;
      if (element === 'subject') out.push({ param: 'subject', value: reference });
      if (reference.startsWith('Patient/')) out.push({ param: 'patient', value: reference });
    }
    if (resource.resourceType === 'Provenance' && Array.isArray(resource.target)) {
      for (const target of resource.target) {
        const reference = referenceOf(target);
        if (reference) out.push({ param: 'target', value: stripHistory(reference) });
      }
    }
    const encounter = referenceOf(resource.encounter);
    if (encounter) out.push({ param: 'encounter', value: encounter });
    return dedupe(out);
  }

  /**
   * The token a search value matches. `system|value` matches that pair, a bare `value` matches
   * any system, `|value` matches identifiers without a system.
   */
  queryToken(searchValue: string): string {
    const bar = searchValue.indexOf('|');
    if (bar < 0) return this.identifierToken(undefined, searchValue);
    return this.identifierToken(searchValue.slice(0, bar), searchValue.slice(bar + 1));
  }

  private identifierToken(system: string | undefined, value: string): string {
    const input = system === undefined ? `any|${value}` : `sys|${system}|${value}`;
    return createHmac('sha256', this.blindKey).update(input).digest('base64url');
  }
}

/** The patient compartment a resource's data key belongs to. */
export function compartmentOf(resource: FhirResource): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id ? `Patient/${resource.id}` : undefined;
  for (const element of PATIENT_REFERENCE_ELEMENTS) {
    const reference = referenceOf(resource[element]);
    if (reference?.startsWith('Patient/')) return stripHistory(reference);
  }
  return undefined;
}

function referenceOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && typeof (value as { reference?: unknown }).reference === 'string') {
    return (value as { reference: string }).reference;
  }
  return undefined;
}

function stripHistory(reference: string): string {
  const at = reference.indexOf('/_history/');
  return at < 0 ? reference : reference.slice(0, at);
}

function dedupe(entries: IndexEntry[]): IndexEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = `${entry.param}\u0000${entry.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
