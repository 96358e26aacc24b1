// The rest-hook endpoint an EHR's topic-based Subscriptions post to: POST <prefix>/:endpoint,
// one configured endpoint per subscription, each with its own shared-secret header (what the
// Subscription's `parameter`/`header` makes the EHR send). Handshakes and heartbeats are recorded;
// event notifications are ingested (full-resource payloads directly, id-only ones fetched from the
// EHR with SMART auth), and the 200 goes out only once IntakePort has made them durable, so an
// EHR that gets no 200 retries. Gaps in event numbers trigger a REST catch-up for the endpoint's
// types through `onMissedEvents`.

import { OperationOutcomeError, getStatus, notFound, unauthorized } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { IntakePort } from '../../gateway/intake/port.js';
import { FhirHttpClient, type FhirHttpClientOptions } from '../rest-sync/fhir-http-client.js';
import { emptyReport, ingest, mergeReport, type FhirVersion, type IngestReport } from '../rest-sync/r5-intake.js';
import { parseNotification, type Notification } from './notification.js';
import type { SubscriptionState, SubscriptionStateTable } from './subscription-state.js';

export interface SubscriptionEndpoint {
  /** The last path segment of the rest-hook URL given to the EHR. */
  id: string;
  /** The header the EHR sends with each notification and its secret value. */
  secret: { header: string; value: string };
  fhirVersion: FhirVersion;
  /** Resource types this subscription carries: what a catch-up re-syncs. */
  types: readonly string[];
  /** Where id-only notifications are fetched from (the EHR's FHIR base and SMART auth). */
  server: FhirHttpClientOptions;
  /** When set, notifications naming another Subscription are refused. */
  subscription?: string;
}

export interface MissedEvents {
  endpoint: string;
  types: readonly string[];
  /** Highest event number the EHR reports. */
  expected: number;
  /** Highest event number received before it. */
  received: number;
}

export interface SubscriptionReceiverOptions {
  endpoints: readonly SubscriptionEndpoint[];
  intake: IntakePort;
  /** ResourceService.delete: for deletions in payloads and focus resources the EHR answers 404/410 for. */
  deleter: (type: string, id: string) => Promise<unknown>;
  /** Where each endpoint's state is kept (gateway/store/subscription-state-store.ts). */
  states: SubscriptionStateTable;
  /** Typically RestSync.syncType for each type. Runs after the reply; failures are logged. */
  onMissedEvents?: (missed: MissedEvents) => void | Promise<void>;
}

export const subscriptionReceiver: FastifyPluginAsync<SubscriptionReceiverOptions> = async (app, options) => {
  const endpoints = new Map(
    options.endpoints.map((endpoint) => [endpoint.id, { endpoint, client: new FhirHttpClient(endpoint.server) }]),
  );
  const { states } = options;

  // Registered under a parent that already parses FHIR JSON (the FHIR base), inherit its parser.
  for (const type of ['application/fhir+json', 'application/json+fhir']) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  }
  app.setErrorHandler((failure, request, reply) => {
    const error = failure as Error & { statusCode?: number };
    const known = error instanceof OperationOutcomeError;
    if (!known && (error.statusCode ?? 500) >= 500) request.log.error({ err: error }, 'subscription notification failed');
    const outcome: OperationOutcome = known
      ? error.outcome
      : { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: error.message }] };
    return reply.code(known ? getStatus(outcome) : (error.statusCode ?? 500)).type('application/fhir+json').send(outcome);
  });

  app.post<{ Params: { endpoint: string } }>('/:endpoint', async (request, reply) => {
    const configured = endpoints.get(request.params.endpoint);
    if (!configured) throw new OperationOutcomeError(notFound);
    const { endpoint, client } = configured;
    if (!secretMatches(request, endpoint)) throw new OperationOutcomeError(unauthorized);
    const notification = parseNotification(request.body);
    if (endpoint.subscription && notification.subscription && !sameSubscription(notification.subscription, endpoint.subscription)) {
      throw new OperationOutcomeError({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'invalid', diagnostics: `notification is for ${notification.subscription}, not ${endpoint.subscription}` }],
      });
    }

    const before = await states.get(endpoint.id);
    const report = notification.type === 'event-notification' ? await ingestEvents(notification, endpoint, client) : emptyReport();
    const { state, missed } = track(before, notification);
    await states.record(endpoint.id, notification.subscription, state);
    if (missed && options.onMissedEvents) {
      const info: MissedEvents = { endpoint: endpoint.id, types: endpoint.types, ...missed };
      request.log.warn(info, 'subscription events missed; catching up over REST');
      void Promise.resolve()
        .then(() => options.onMissedEvents!(info))
        .catch((error: unknown) => request.log.error({ err: error }, 'subscription catch-up failed'));
    }
    const issues = report.rejected.map((rejection) => ({
      severity: 'warning' as const,
      code: 'processing' as const,
      diagnostics: `${rejection.reference} rejected (${rejection.status})`,
    }));
    return reply
      .code(200)
      .type('application/fhir+json')
      .send({ resourceType: 'OperationOutcome', issue: issues.length > 0 ? issues : [{ severity: 'information', code: 'informational', diagnostics: `${notification.type} accepted` }] });
  });

  async function ingestEvents(notification: Notification, endpoint: SubscriptionEndpoint, client: FhirHttpClient): Promise<IngestReport> {
    const source = `subscription:${endpoint.id}`;
    const report = await ingest(options.intake, notification.resources, { version: endpoint.fhirVersion, source });
    for (const reference of notification.deletions) {
      const [type, id] = reference.split('/');
      await options.deleter(type!, id!);
    }
    const carried = new Set(notification.resources.map((resource) => `${resource.resourceType}/${resource.id}`));
    const toFetch = [...new Set(notification.events.map((event) => event.focus).filter((focus): focus is string => !!focus))].filter(
      (focus) => !carried.has(focus) && !notification.deletions.includes(focus),
    );
    const fetched: unknown[] = [];
    for (const reference of toFetch) {
      const response = await client.request(reference);
      if (response.status === 404 || response.status === 410) {
        await response.body?.cancel();
        const [type, id] = reference.split('/');
        await options.deleter(type!, id!);
        continue;
      }
      if (!response.ok) throw new Error(`fetching ${reference} from the EHR answered ${response.status}`);
      fetched.push(await response.json());
    }
    if (fetched.length > 0) mergeReport(report, await ingest(options.intake, fetched, { version: endpoint.fhirVersion, source }));
    return report;
  }
};

function track(before: SubscriptionState, notification: Notification): { state: SubscriptionState; missed?: { expected: number; received: number } } {
  const reported = notification.eventsSinceSubscriptionStart;
  const state: SubscriptionState = { lastEvent: before.lastEvent, status: notification.status ?? before.status, lastType: notification.type };
  if (notification.type === 'handshake') return { state: { ...state, lastEvent: reported ?? 0 } };
  const numbers = notification.events.map((event) => event.eventNumber).filter((n): n is number => n !== undefined);
  const highest = Math.max(before.lastEvent, reported ?? 0, ...numbers);
  state.lastEvent = highest;
  // Events numbered past the next expected one, or a counter ahead of everything received.
  const firstNew = numbers.length > 0 ? Math.min(...numbers.filter((n) => n > before.lastEvent), Number.POSITIVE_INFINITY) : undefined;
  const gapBefore = firstNew !== undefined && Number.isFinite(firstNew) && firstNew > before.lastEvent + 1;
  const counterAhead = notification.type !== 'event-notification' && (reported ?? 0) > before.lastEvent;
  return gapBefore || counterAhead ? { state, missed: { expected: highest, received: before.lastEvent } } : { state };
}

function secretMatches(request: FastifyRequest, endpoint: SubscriptionEndpoint): boolean {
  const sent = request.headers[endpoint.secret.header.toLowerCase()];
  const value = Buffer.from(Array.isArray(sent) ? sent.join(',') : (sent ?? ''));
  const expected = Buffer.from(endpoint.secret.value);
  return value.length === expected.length && timingSafeEqual(value, expected);
}

function sameSubscription(a: string, b: string): boolean {
  const tail = (reference: string) => reference.replace(/^.*?(Subscription\/[^/]+)$/, '$1');
  return tail(a) === tail(b);
}
