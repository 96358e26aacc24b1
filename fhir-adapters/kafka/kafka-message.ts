// What a Kafka message on the intake topic carries: one FHIR resource, or a Bundle of type batch,
// transaction or collection, as JSON; R4 or R5 by a header (e.g. `fhir-version: 4.0.1`) or the
// topic's configured default. Pure: the batch processor does the I/O.

import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { DEFAULT_MAX_JSON_DEPTH, JsonTooDeepError, jsonDepthExceeds } from '../../gateway/fhir/json-depth.js';
import type { FhirVersion } from '../rest-sync/r5-intake.js';

export interface MessageContent {
  version: FhirVersion;
  resources: unknown[];
  /** A transaction Bundle: all of its resources or none. */
  atomic: boolean;
}

const BUNDLE_TYPES = new Set(['batch', 'transaction', 'collection']);

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name] ?? headers?.[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

function fhirVersionOf(text: string | undefined, fallback: FhirVersion): FhirVersion {
  if (text === undefined) return fallback;
  const normalized = text.trim().toUpperCase();
  if (normalized === 'R4' || normalized.startsWith('4.0')) return 'R4';
  if (normalized === 'R5' || normalized.startsWith('5.0')) return 'R5';
  throw new OperationOutcomeError(badRequest(`unsupported FHIR version header "${text}" (R4/4.0.x or R5/5.0.x)`));
}

/** Throws OperationOutcomeError (400) for anything that is not a resource or a supported Bundle. */
export function readMessage(message: KafkaMessage, options: { versionHeader: string; defaultVersion: FhirVersion }): MessageContent {
  const version = fhirVersionOf(headerText(message.headers, options.versionHeader), options.defaultVersion);
  if (!message.value || message.value.length === 0) throw new OperationOutcomeError(badRequest('the message has no value'));
  const text = message.value.toString('utf8');
  // Checked on the text: everything after the parser recurses (validation, canonicalization).
  if (jsonDepthExceeds(text, DEFAULT_MAX_JSON_DEPTH)) throw new OperationOutcomeError(badRequest(new JsonTooDeepError(DEFAULT_MAX_JSON_DEPTH).message));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new OperationOutcomeError(badRequest(`the message value is not JSON: ${(error as Error).message}`));
  }
  const resource = body as { resourceType?: unknown; type?: unknown; entry?: Array<{ resource?: unknown; request?: { method?: string } }> };
  if (typeof resource !== 'object' || resource === null || typeof resource.resourceType !== 'string') {
    throw new OperationOutcomeError(badRequest('the message value is not a FHIR resource'));
  }
  if (resource.resourceType !== 'Bundle' || !BUNDLE_TYPES.has(String(resource.type))) {
    return { version, resources: [resource], atomic: false };
  }
  const entries = resource.entry ?? [];
  const unsupported = entries.findIndex((entry) => !entry.resource || (entry.request?.method && !['PUT', 'POST'].includes(entry.request.method.toUpperCase())));
  if (unsupported >= 0) {
    throw new OperationOutcomeError(
      badRequest(`Bundle.entry[${unsupported}]: only entries carrying a resource (PUT/POST) are accepted over Kafka`),
    );
  }
  return { version, resources: entries.map((entry) => entry.resource), atomic: resource.type === 'transaction' };
}
