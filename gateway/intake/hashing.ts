// The hashing steps of intake, in the order the design fixes: canonical bytes and digest before
// the write (no version needed), then the salted leaf once the version id is assigned.

import { leafHash, newSalt, resourceDigest, versionKey } from '../crypto/digest.js';
import type { FhirResource } from '../store/service.js';

interface PreparedContent {
  resource: FhirResource;
  digest: Buffer;
}

export function prepareContent(resource: FhirResource): PreparedContent {
  return { resource, digest: resourceDigest(resource) };
}

/**
 * A deletion is anchored too, so the chain's log of a member's writes is complete. Its digest
 * covers the minimal object naming what was deleted.
 */
export function tombstoneDigest(type: string, id: string): Buffer {
  return resourceDigest({ resourceType: type, id });
}

export function hashVersion(type: string, id: string, versionId: string, digest: Buffer): { salt: Buffer; leaf: Buffer } {
  const salt = newSalt();
  return { salt, leaf: leafHash(salt, versionKey(type, id, versionId), digest) };
}

