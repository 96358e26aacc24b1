// What the main thread (index-writer.ts) and the index writer thread (index-writer-worker.ts) pass.

import type { FhirResource } from './service.js';

/** Slots of the shared state: the last message written, whether the last write failed, whether the thread ended. */
export const DONE = 0;
export const FAILED = 1;
export const EXITED = 2;
export const STATE_SLOTS = 3;

export interface WriterSetup {
  dbPath: string;
  blindKey: Uint8Array;
  state: SharedArrayBuffer;
  flushResources: number;
  flushDelayMs: number;
}

/**
 * One resource: the version whose rows it must have (null: none) and those whose rows it may
 * have, each cut to what the index reads (SearchIndexer.indexedPart).
 */
export interface WriterItem {
  type: string;
  id: string;
  next: FhirResource | null;
  mayHave: FhirResource[];
}

export type WriterMessage = { n: number; through: number; items: WriterItem[] } | { n: number; flush: true } | { close: true };
