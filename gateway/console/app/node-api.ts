// Calls to the node that served the page, with the session's token, turning every failure into a
// sentence that says what to do next (shown as is by the views).

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface OutcomeBody {
  resourceType?: string;
  issue?: Array<{ diagnostics?: string; details?: { text?: string } }>;
  error?: string;
  message?: string;
}

function explain(status: number, body: OutcomeBody | null, what: string): string {
  const said = body?.issue?.[0]?.diagnostics ?? body?.issue?.[0]?.details?.text ?? body?.message ?? body?.error;
  const detail = said ? ` The node said: ${said}` : '';
  if (status === 401) return `The node did not accept your sign-in for ${what}: sign in again.${detail}`;
  if (status === 403) return `Your token does not allow ${what}: ask for a token with the scope it needs.${detail}`;
  if (status === 404) return `The node has no ${what}: check what you typed.${detail}`;
  if (status === 429) return `The node is limiting requests: wait a few seconds and try again.${detail}`;
  if (status >= 500) return `The node failed to answer ${what} (HTTP ${status}): check its log and try again.${detail}`;
  return `The node refused ${what} (HTTP ${status}).${detail}`;
}

/** GET or POST JSON; `what` names the thing asked for, in the error sentence. */
export async function nodeJson<T>(path: string, what: string, options: { token?: string; method?: string; accept?: number[]; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json, application/fhir+json',
        'x-careledger-console': '1',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch {
    throw new ApiError(`The node did not answer ${what}: check that it is running and reload the page.`, 0);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const accepted = options.accept ?? [200];
  if (!accepted.includes(response.status) && !(response.ok && accepted.includes(200))) {
    throw new ApiError(explain(response.status, body as OutcomeBody | null, what), response.status);
  }
  return { status: response.status, body: body as T };
}
