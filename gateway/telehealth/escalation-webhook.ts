// The escalation webhook: when a provider escalates a consult to emergency care, the host POSTs a
// small JSON event to the hospital's paging system (TELEHEALTH_ESCALATION_WEBHOOK_URL), besides
// the participants' notifications. The user's request never waits for it: delivery runs in the
// background with a timeout per attempt and retries with backoff on network errors, 408, 429 and
// 5xx; other 4xx are the receiver's final answer. The body carries no PHI (session id, severity,
// host member, a link the paging system opens with its own credentials). It is signed like
// Stripe's webhooks: `X-Careledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>`, so the receiver checks origin and freshness; `X-Careledger-Delivery` stays the
// same across retries of one event, so it can drop duplicates.

import type { FastifyBaseLogger } from 'fastify';
import { createHmac, randomUUID } from 'node:crypto';
import type { Hex } from '../ledger/ports.js';
import type { ConsultNotice, ConsultNotifier } from './ports.js';

export interface EscalationWebhookOptions {
  url: string;
  /** Shared with the receiver; at least 16 characters. */
  secret: string;
  hostMember: Hex;
  /** Where the consult is seen at the host, e.g. `${publicUrl}/telehealth/sessions`. */
  linkBase: string;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Attempts in all, the first included. Default 4. */
  attempts?: number;
  /** Wait before the first retry; doubled each time. Default 1 s. */
  backoffMs?: number;
  log?: Pick<FastifyBaseLogger, 'warn'>;
  now?: () => number;
}

export interface EscalationEvent {
  event: 'telehealth.escalation';
  deliveryId: string;
  sessionId: string;
  severity: number;
  hostMember: Hex;
  link: string;
  occurredAt: string;
}

export type DeliveryOutcome = { delivered: true; attempts: number; status: number } | { delivered: false; attempts: number; status: number | null };

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

export class EscalationWebhook {
  private readonly inFlight = new Set<Promise<DeliveryOutcome>>();
  private readonly now: () => number;

  constructor(private readonly options: EscalationWebhookOptions) {
    if (!/^https?:\/\/\S+$/.test(options.url)) throw new Error(`the escalation webhook needs an http(s) URL, got "${options.url}"`);
    if (options.secret.length < 16) throw new Error('the escalation webhook secret must be at least 16 characters');
    this.now = options.now ?? Date.now;
  }

  /** Starts delivering in the background; the promise is for tests and shutdown, callers need not wait. */
  escalated(sessionId: string, severity: number): Promise<DeliveryOutcome> {
    const event: EscalationEvent = {
      event: 'telehealth.escalation',
      deliveryId: randomUUID(),
      sessionId,
      severity,
      hostMember: this.options.hostMember,
      link: `${this.options.linkBase}/${encodeURIComponent(sessionId)}`,
      occurredAt: new Date(this.now()).toISOString(),
    };
    const delivery = this.deliver(event);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
    return delivery;
  }

  /** Waits for the deliveries under way (at shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(event: EscalationEvent): Promise<DeliveryOutcome> {
    const attempts = this.options.attempts ?? 4;
    const body = JSON.stringify(event);
    let status: number | null = null;
    let made = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      made = attempt;
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-careledger-delivery': event.deliveryId,
            'x-careledger-signature': signatureHeader(this.options.secret, body, Math.floor(this.now() / 1000)),
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        status = response.status;
        await response.body?.cancel();
        if (response.ok) return { delivered: true, attempts: attempt, status };
        if (!retryable(status)) break;
      } catch {
        status = null;
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, (this.options.backoffMs ?? 1000) * 2 ** (attempt - 1)));
    }
    this.options.log?.warn({ status, deliveryId: event.deliveryId }, 'telehealth: the escalation webhook was not delivered');
    return { delivered: false, attempts: made, status };
  }
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A ConsultNotifier that also pages on escalations: wrap the notifier the workflow calls. */
export function pagingOnEscalation(notifier: ConsultNotifier, webhook: EscalationWebhook): ConsultNotifier {
  return {
    notify(sessionId: string, participantId: string | null, notice: ConsultNotice): void {
      notifier.notify(sessionId, participantId, notice);
      // Once per escalation, not once per participant it is told to.
      if (notice.kind === 'escalation' && participantId === null) void webhook.escalated(sessionId, notice.severity);
    },
  };
}
