// Minimal FHIR calls for end-to-end tests, over real HTTP.

import { eventually } from './eventually.js';

export interface FhirTarget {
  fhirBase: string;
  token: string;
}

export interface BatchOutcome {
  ok: boolean;
  status: number;
  /** Per entry: its HTTP status line, e.g. "201 Created". */
  entryStatus: string[];
}

export async function postBatch(target: FhirTarget, resources: Array<{ resourceType: string; id: string }>, base = target.fhirBase): Promise<BatchOutcome> {
  const response = await fetch(base, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${target.token}` },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'batch',
      entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
    }),
  });
  const body = (await response.json()) as { entry?: Array<{ response?: { status?: string } }> };
  return { ok: response.ok, status: response.status, entryStatus: (body.entry ?? []).map((entry) => entry.response?.status ?? '') };
}

export async function getJson(target: FhirTarget, path: string): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${target.fhirBase}/${path}`, { headers: { authorization: `Bearer ${target.token}` } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** Polls /health until nothing waits to be batched or anchored. */
export async function waitForAnchoring(baseUrl: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => {
    const health = (await (await fetch(`${baseUrl}/health`)).json()) as {
      anchoring: { leavesWaiting: number; closedBatchesWaiting: number; state: string };
    };
    if (health.anchoring.state === 'ok' && health.anchoring.leavesWaiting === 0 && health.anchoring.closedBatchesWaiting === 0) return;
    throw new Error(`anchoring did not finish: ${JSON.stringify(health.anchoring)}`);
  }, timeoutMs, 200);
}
