// Export files at rest: one record per resource, each sealed by the vault under the resource's
// patient compartment (AES-256-GCM, data keys wrapped by the node's master key). A file on disk
// is therefore no more readable than the vault, and erasing a patient (which shreds their
// compartment key) removes them from every export already written without touching the files.
// Record layout: u32 length of the rest | u16 length of the sealed compartment name | the
// compartment name sealed under the node's own compartment (a patient id is itself identifying)
// | the resource sealed under that compartment. The associated data names the job, the file and
// the record index, so records cannot be moved between files or reordered.

import { OperationOutcomeError } from '@medplum/core';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { FhirResource } from '../../gateway/store/service.js';
import { compartmentOf } from '../../gateway/store/search-index.js';
import { NODE_COMPARTMENT, type Vault } from '../../gateway/store/vault.js';

type Sealer = Pick<Vault, 'seal' | 'open' | 'isShredded'>;

function associated(label: string, index: number): string {
  return `careledger-bulk-export:${label}#${index}`;
}

/**
 * Writes `resources` sealed to `path` (created 0600); returns how many were written. A resource
 * whose patient is erased while the export runs is left out.
 */
export async function writeSealedNdjson(path: string, label: string, resources: AsyncIterable<FhirResource>, vault: Sealer): Promise<number> {
  const out = createWriteStream(path, { mode: 0o600 });
  let count = 0;
  try {
    for await (const resource of resources) {
      const compartment = compartmentOf(resource) ?? NODE_COMPARTMENT;
      let sealed: Buffer;
      try {
        sealed = vault.seal(compartment, associated(label, count), Buffer.from(JSON.stringify(resource)));
      } catch (error) {
        if (error instanceof OperationOutcomeError) continue;
        throw error;
      }
      const name = vault.seal(NODE_COMPARTMENT, `${associated(label, count)}:compartment`, Buffer.from(compartment));
      const head = Buffer.alloc(6);
      head.writeUInt32BE(2 + name.length + sealed.length, 0);
      head.writeUInt16BE(name.length, 4);
      if (!out.write(Buffer.concat([head, name, sealed]))) await once(out, 'drain');
      count++;
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return count;
}

/**
 * The NDJSON text of a sealed file, one chunk per block read. Records of erased patients are
 * skipped; a record that does not authenticate fails the stream (the file was altered).
 */
export async function* readSealedNdjson(path: string, label: string, vault: Sealer): AsyncGenerator<Buffer> {
  const shredded = new Map<string, boolean>();
  // The vault may hold a compartment key in memory that another vault instance (the erasure's)
  // has since shredded in the database, so the database decides, once per compartment.
  const erased = (compartment: string): boolean => {
    let known = shredded.get(compartment);
    if (known === undefined) shredded.set(compartment, (known = vault.isShredded(compartment)));
    return known;
  };
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  for await (const chunk of createReadStream(path)) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    const lines: Buffer[] = [];
    let at = 0;
    while (pending.length - at >= 4 && pending.length - at >= 4 + pending.readUInt32BE(at)) {
      const end = at + 4 + pending.readUInt32BE(at);
      const nameLength = pending.readUInt16BE(at + 4);
      const compartment = vault
        .open(NODE_COMPARTMENT, `${associated(label, index)}:compartment`, pending.subarray(at + 6, at + 6 + nameLength))
        .toString('utf8');
      const sealed = pending.subarray(at + 6 + nameLength, end);
      if (!erased(compartment)) lines.push(vault.open(compartment, associated(label, index), sealed), NEWLINE);
      index++;
      at = end;
    }
    pending = pending.subarray(at);
    if (lines.length > 0) yield Buffer.concat(lines);
  }
  if (pending.length > 0) throw new Error(`${path} ends inside a record: the export file is truncated`);
}

const NEWLINE = Buffer.from('\n');
