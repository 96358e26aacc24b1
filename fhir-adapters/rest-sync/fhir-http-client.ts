// HTTP to an EHR's FHIR server, shared by REST sync, the Bulk Data client and the Subscriptions
// receiver: bearer token from an AccessTokenSource, retries with exponential backoff on network
// errors, 429 and 5xx (a Retry-After from the server wins over our own backoff), and one retry
// with a fresh token after a 401.

import type { AccessTokenSource } from './smart-backend-auth.js';

export interface RetryPolicy {
  /** Attempts in total, first included. Default 6. */
  attempts: number;
  /** First backoff; doubled per attempt with +-25% jitter. Default 200 ms. */
  baseDelayMs: number;
  /** Ceiling for our own backoff and for a server's Retry-After. Default 30 s. */
  maxDelayMs: number;
}

export interface FhirHttpClientOptions {
  baseUrl: string;
  auth?: AccessTokenSource;
  retry?: Partial<RetryPolicy>;
  /** Per attempt. Default 60 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Told before each retry (logs, metrics). */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
}

export class FhirHttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly body: unknown,
  ) {
    super(`${url} answered ${status}${describe(body)}`);
    this.name = 'FhirHttpError';
  }
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 30_000 };

export class FhirHttpClient {
  readonly baseUrl: string;
  private readonly retry: RetryPolicy;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: FhirHttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.fetch = options.fetch ?? fetch;
  }

  /** An absolute URL for a path relative to the base (absolute URLs, e.g. paging links, pass through). */
  url(pathOrUrl: string): string {
    return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl}/${pathOrUrl.replace(/^\/+/, '')}`;
  }

  /**
   * The response once it is not retryable (any status: the caller reads it). Network failures,
   * 429 and 5xx are retried; after the last attempt the last response or error is returned/thrown.
   */
  async request(pathOrUrl: string, init: RequestInit & { authenticate?: boolean } = {}): Promise<Response> {
    const url = this.url(pathOrUrl);
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      const headers = new Headers(init.headers);
      if (!headers.has('accept')) headers.set('accept', 'application/fhir+json');
      if (this.options.auth && init.authenticate !== false) headers.set('authorization', `Bearer ${await this.options.auth.token()}`);
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await this.fetch(url, { ...init, headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
      } catch (error) {
        failure = error;
      }
      if (response?.status === 401 && this.options.auth && !refreshedToken && init.authenticate !== false) {
        refreshedToken = true;
        this.options.auth.invalidate();
        await response.body?.cancel();
        attempt--;
        continue;
      }
      const retryable = failure !== undefined || (response !== undefined && (response.status === 429 || response.status >= 500));
      if (!retryable || attempt >= this.retry.attempts) {
        if (response) return response;
        throw failure;
      }
      const delayMs = this.delay(attempt, response?.headers.get('retry-after') ?? null);
      this.options.onRetry?.({ url, attempt, delayMs, reason: response ? `HTTP ${response.status}` : String(failure) });
      await response?.body?.cancel();
      await sleep(delayMs);
    }
  }

  /** GET (or another method) expecting a JSON body and a 2xx status; anything else throws FhirHttpError. */
  async json<T = unknown>(pathOrUrl: string, init: RequestInit = {}): Promise<T> {
    const response = await this.request(pathOrUrl, init);
    const text = await response.text();
    const body = text ? parseJson(text) : undefined;
    if (!response.ok) throw new FhirHttpError(response.status, this.url(pathOrUrl), body);
    return body as T;
  }

  private delay(attempt: number, retryAfter: string | null): number {
    const fromServer = parseRetryAfter(retryAfter);
    if (fromServer !== undefined) return Math.min(fromServer, this.retry.maxDelayMs);
    const backoff = this.retry.baseDelayMs * 2 ** (attempt - 1);
    return Math.min(this.retry.maxDelayMs, backoff * (0.75 + Math.random() * 0.5));
  }
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 section 10.2.3), in milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(body: unknown): string {
  if (typeof body === 'string') return body ? `: ${body.slice(0, 200)}` : '';
  const issues = (body as { issue?: Array<{ diagnostics?: string; details?: { text?: string } }> } | undefined)?.issue;
  const text = issues?.map((issue) => issue.diagnostics ?? issue.details?.text).filter(Boolean).join('; ');
  return text ? `: ${text}` : '';
}
