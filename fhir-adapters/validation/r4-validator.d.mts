import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Indexes the R4 base definitions into medplum's type registry (once). */
export function loadR4Definitions(): void;

/** Full R4 validation with @medplum/core; returns every issue, never throws. */
export function validateR4(resource: unknown): OperationOutcomeIssue[];

/** Whether R4 validation runs with the performance patches of medplum-core.mjs, and if not, why. */
export const validationCore: { patched: boolean; reason?: string };
