// Reads a topic-based subscription notification into one shape, whichever FHIR version sent it:
// R5 (Bundle type `subscription-notification`, SubscriptionStatus first) or the R4 Subscriptions
// Backport IG (Bundle type `history`, a Parameters "SubscriptionStatus" first). Pure: the
// receiver decides what to fetch, ingest and acknowledge.

import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { FhirResource } from '../../gateway/store/service.js';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

export interface NotificationEvent {
  eventNumber?: number;
  /** `Type/id` of the resource the event is about. */
  focus?: string;
}

export interface Notification {
  flavor: 'R5' | 'R4-backport';
  type: NotificationType;
  subscription?: string;
  topic?: string;
  status?: string;
  eventsSinceSubscriptionStart?: number;
  events: NotificationEvent[];
  /** Full-resource payloads carried in the Bundle (empty for id-only notifications). */
  resources: FhirResource[];
  /** `Type/id` of payload entries that are deletions. */
  deletions: string[];
}

const TYPES = new Set<NotificationType>(['handshake', 'heartbeat', 'event-notification', 'query-status', 'query-event']);

interface Entry {
  fullUrl?: string;
  resource?: FhirResource;
  request?: { method?: string; url?: string };
}

interface Parameter {
  name?: string;
  part?: Parameter[];
  [value: string]: unknown;
}

export function parseNotification(body: unknown): Notification {
  const bundle = body as { resourceType?: string; type?: string; entry?: Entry[] } | undefined;
  if (bundle?.resourceType !== 'Bundle') throw invalid('the notification is not a Bundle');
  const [first, ...rest] = bundle.entry ?? [];
  const status = first?.resource;
  let parsed: Omit<Notification, 'resources' | 'deletions'>;
  if (bundle.type === 'subscription-notification' && status?.resourceType === 'SubscriptionStatus') parsed = fromR5(status);
  else if (bundle.type === 'history' && status?.resourceType === 'Parameters') parsed = fromBackport(status);
  else throw invalid('expected a subscription-notification Bundle with SubscriptionStatus first, or an R4 backport history Bundle with Parameters first');
  const resources: FhirResource[] = [];
  const deletions: string[] = [];
  for (const entry of rest) {
    if (entry.request?.method?.toUpperCase() === 'DELETE') {
      const reference = referenceOf(entry.request.url ?? entry.fullUrl);
      if (reference) deletions.push(reference);
    } else if (entry.resource?.resourceType) {
      resources.push(entry.resource);
    }
  }
  return { ...parsed, resources, deletions };
}

function fromR5(status: FhirResource): Omit<Notification, 'resources' | 'deletions'> {
  const events = (status.notificationEvent as Array<{ eventNumber?: string | number; focus?: { reference?: string } }> | undefined) ?? [];
  return {
    flavor: 'R5',
    type: notificationType(status.type),
    subscription: (status.subscription as { reference?: string } | undefined)?.reference,
    topic: typeof status.topic === 'string' ? status.topic : undefined,
    status: typeof status.status === 'string' ? status.status : undefined,
    eventsSinceSubscriptionStart: count(status.eventsSinceSubscriptionStart),
    events: events.map((event) => ({ eventNumber: count(event.eventNumber), focus: referenceOf(event.focus?.reference) })),
  };
}

function fromBackport(parameters: FhirResource): Omit<Notification, 'resources' | 'deletions'> {
  const list = (parameters.parameter as Parameter[] | undefined) ?? [];
  const named = (name: string, within: Parameter[] = list) => within.find((parameter) => parameter.name === name);
  return {
    flavor: 'R4-backport',
    type: notificationType(named('type')?.valueCode),
    subscription: (named('subscription')?.valueReference as { reference?: string } | undefined)?.reference,
    topic: named('topic')?.valueCanonical as string | undefined,
    status: named('status')?.valueCode as string | undefined,
    eventsSinceSubscriptionStart: count(valueOf(named('events-since-subscription-start'))),
    events: list
      .filter((parameter) => parameter.name === 'notification-event')
      .map((event) => ({
        eventNumber: count(valueOf(named('event-number', event.part))),
        focus: referenceOf((named('focus', event.part)?.valueReference as { reference?: string } | undefined)?.reference),
      })),
  };
}

/** Backport versions carry counters as valueString (integer64 is not in R4) or as integers. */
function valueOf(parameter: Parameter | undefined): unknown {
  if (!parameter) return undefined;
  return parameter.valueString ?? parameter.valueInteger64 ?? parameter.valueUnsignedInt ?? parameter.valueInteger ?? parameter.valueDecimal;
}

function count(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

function notificationType(value: unknown): NotificationType {
  if (typeof value === 'string' && TYPES.has(value as NotificationType)) return value as NotificationType;
  throw invalid(`unknown notification type ${JSON.stringify(value)}`);
}

/** `Type/id` from a relative or absolute reference (history suffix dropped). */
function referenceOf(url: string | undefined): string | undefined {
  const match = url ? /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?\/?$/.exec(url) : null;
  return match ? `${match[1]}/${match[2]}` : undefined;
}

function invalid(message: string): OperationOutcomeError {
  return new OperationOutcomeError(badRequest(message));
}
