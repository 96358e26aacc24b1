// Deterministic resource ids. The same business key (an MRN, a visit number, an order number
// and OBX set id) always yields the same id, so a message delivered twice upserts the same
// resources with the same content and the node records nothing new. The key is an HMAC under a
// node secret rather than a plain hash: ids travel in URLs, logs and receipts, and a plain hash
// of a low-entropy MRN can be reversed by enumerating MRNs.

import { createHmac } from 'node:crypto';

/** 160 bits in hex: collision-free at any hospital's scale and well under FHIR's 64 chars. */
const ID_HEX_CHARS = 40;
const MIN_ID_KEY_BYTES = 32;

export type ResourceIdDeriver = (resourceType: string, ...keyParts: string[]) => string;

export function resourceIdDeriver(idKey: Uint8Array): ResourceIdDeriver {
  if (idKey.byteLength < MIN_ID_KEY_BYTES) {
    throw new RangeError(`HL7 id key must be at least ${MIN_ID_KEY_BYTES} bytes (got ${idKey.byteLength})`);
  }
  const key = Buffer.from(idKey);
  return (resourceType, ...keyParts) =>
    // JSON framing keeps ("a|b", "c") and ("a", "b|c") apart.
    createHmac('sha256', key).update(JSON.stringify([resourceType, ...keyParts])).digest('hex').slice(0, ID_HEX_CHARS);
}
