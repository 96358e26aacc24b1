// One JSON call to an in-process node's HTTP API, as a client sends it: a bearer token when given,
// a JSON body when given. The answer's body is parsed JSON, or null when empty.
import type { RunningNode } from '../../gateway/node.js';

export interface NodeAnswer {
  status: number;
  body: any;
}

export async function nodeApi(node: RunningNode, method: string, path: string, token: string | null, body?: unknown): Promise<NodeAnswer> {
  const response = await fetch(`${node.config.publicUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
