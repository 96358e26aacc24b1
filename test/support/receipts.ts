// Receipts over the FHIR API, for end-to-end tests: wait for a version's receipt and check it
// against the chain the way a payer would (verifyReceipt with the node's own chain lookup).

import type { RunningNode } from '../../gateway/node.js';
import { verifyReceipt, type VerifyResult } from '../../gateway/receipts/verify.js';
import { getJson, type FhirTarget } from './fhir-client.js';

/** GET .../_history/{vid}/$receipt until it answers 200 (202 while the batch is not anchored). */
export async function awaitReceipt(target: FhirTarget, reference: string, versionId: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await getJson(target, `${reference}/_history/${versionId}/$receipt`);
    if (status === 200) return body;
    if (status !== 202) throw new Error(`$receipt of ${reference}/_history/${versionId} answered ${status}: ${JSON.stringify(body)}`);
    if (Date.now() > deadline) throw new Error(`no receipt for ${reference}/_history/${versionId} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads the current version over HTTP, waits for its receipt and verifies it against the chain. */
export async function verifiedReceipt(node: RunningNode, target: FhirTarget, reference: string): Promise<{ resource: any; receipt: any; result: VerifyResult }> {
  const { status, body: resource } = await getJson(target, reference);
  if (status !== 200) throw new Error(`GET ${reference} answered ${status}`);
  const receipt = await awaitReceipt(target, reference, resource.meta.versionId);
  return { resource, receipt, result: await verifyReceipt(resource, receipt, node.chain.lookupAnchor) };
}
