export const PATCHED_BUNDLE_SHA256: string;
export const PATCHES: ReadonlyArray<{ name: string; find: string; replace: string }>;
/** The bundle with every patch applied; throws when a patch does not match exactly once. */
export function patchBundle(source: string): string;
/** Loads the @medplum/core used for R4 validation; `reason` says why it is not patched. */
export function loadValidationCore(): Promise<{ core: typeof import('@medplum/core'); patched: boolean; reason?: string }>;
