// What the node should hold after syncing from the test EHR: each live EHR resource converted to
// R5, as `Type/id` -> digest, for comparison with the node's resource_current digests.

import { resourceDigest } from '../../../gateway/crypto/digest.js';
import { convertR4toR5 } from '../../../fhir-adapters/conversion/index.js';
import type { HistoryRecordingRepository } from './history-repository.js';

export async function expectedDigests(repo: HistoryRecordingRepository, types: readonly string[]): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  for (const type of types) {
    for (const resource of await repo.current(type)) {
      expected.set(`${type}/${resource.id}`, resourceDigest(convertR4toR5(resource).resource).toString('hex'));
    }
  }
  return expected;
}
