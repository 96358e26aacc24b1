import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { Conversion, type R5Resource } from './converter.js';
import { R4_TO_R5_RULES } from './rule-table.js';

export interface R4toR5Result {
  resource: R5Resource;
  /** information: carried as extension by design; warning: lossy or displaced; error: not converted. */
  issues: OperationOutcomeIssue[];
}

/**
 * Converts an R4 resource (any type present in both versions, contained resources and Bundle
 * entries included) to R5. Throws OperationOutcomeError (400) when the input is not an R4
 * resource or its type does not exist in R5.
 */
export function convertR4toR5(resource: unknown): R4toR5Result {
  const conversion = new Conversion(R4_TO_R5_RULES);
  const src = (typeof resource === 'object' && resource !== null && !Array.isArray(resource) ? resource : {}) as Record<string, unknown>;
  const out = conversion.resource(src, '');
  return { resource: out, issues: conversion.issues };
}
