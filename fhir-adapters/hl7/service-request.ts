// ORC (+ OBR) -> ServiceRequest, for ORM^O01 and OML^O21 (v2-to-FHIR IG segment maps
// ORC[ServiceRequest] and OBR[ServiceRequest]).

import type { FhirResource } from '../../gateway/store/service.js';
import { cweToCodeableConcept, eiToIdentifier, type Identifier, xcnToReference } from './datatypes.js';
import { optionalField, readDateTime, type MappingContext } from './mapping-context.js';
import type { V2Segment } from './v2-segment.js';

/** ORC-5 order status (table 0038) -> request-status. */
const ORDER_STATUS: Record<string, string> = {
  A: 'active', IP: 'active', SC: 'active', CM: 'completed', CA: 'revoked', DC: 'revoked', RP: 'revoked', HD: 'on-hold', ER: 'entered-in-error',
};
/** ORC-1 order control (table 0119) -> request-status, when ORC-5 is empty. */
const ORDER_CONTROL_STATUS: Record<string, string> = {
  NW: 'active', XO: 'active', RL: 'active', SC: 'active', SN: 'active', CA: 'revoked', OC: 'revoked', DC: 'revoked', OD: 'revoked', HD: 'on-hold', OH: 'on-hold',
};
/** TQ1-9 / ORC-7.6 priority (table 0485) -> request-priority. */
const PRIORITY: Record<string, string> = { S: 'stat', A: 'asap', R: 'routine', P: 'urgent', C: 'urgent', T: 'urgent' };

export interface OrderSegments {
  orc?: V2Segment;
  obr?: V2Segment;
  tq1?: V2Segment;
}

export function orderRequestIdentifiers(ctx: MappingContext, order: OrderSegments): { placer?: Identifier; filler?: Identifier } {
  const pick = (field: number, type: string) =>
    (order.orc && eiToIdentifier(ctx, order.orc.first(field), type)) ?? (order.obr && eiToIdentifier(ctx, order.obr.first(field), type));
  return { placer: pick(2, 'PLAC'), filler: pick(3, 'FILL') };
}

/** The business key: the placer order number (the orderer's id, stable from NW to CA), else
 * the filler's, else the message control id and the order's position. */
export function requestKey(ids: { placer?: Identifier; filler?: Identifier }, controlId: string, position: number): string[] {
  if (ids.placer) return ['placer', ids.placer.system ?? '', ids.placer.value];
  if (ids.filler) return ['filler', ids.filler.system ?? '', ids.filler.value];
  return ['message', controlId, String(position)];
}

export function mapServiceRequest(
  ctx: MappingContext,
  order: OrderSegments,
  context: { id: string; subject: string; encounter?: Record<string, unknown> },
): FhirResource {
  const { orc, obr, tq1 } = order;
  const ids = orderRequestIdentifiers(ctx, order);
  const status = ORDER_STATUS[orc?.value(5).toUpperCase() ?? ''] ?? ORDER_CONTROL_STATUS[orc?.value(1).toUpperCase() ?? ''] ?? 'active';
  const request: FhirResource = { resourceType: 'ServiceRequest', id: context.id };
  const identifier = [ids.placer, ids.filler].filter((i) => i !== undefined);
  if (identifier.length > 0) request.identifier = identifier;
  request.status = status;
  request.intent = 'order';
  const priority = PRIORITY[(tq1?.value(9) || orc?.value(7, 6) || obr?.value(5) || '').toUpperCase()];
  if (priority) request.priority = priority;
  const code = obr && cweToCodeableConcept(ctx, obr.first(4));
  if (code) request.code = { concept: code };
  request.subject = { reference: context.subject };
  if (context.encounter) request.encounter = context.encounter;
  const occurrence = (tq1 && optionalField(ctx, () => readDateTime(ctx, tq1, 7))) ?? (obr && optionalField(ctx, () => readDateTime(ctx, obr, 7)));
  if (occurrence) request.occurrenceDateTime = occurrence;
  const authored = orc && optionalField(ctx, () => readDateTime(ctx, orc, 9));
  if (authored) request.authoredOn = authored;
  const requester = (orc && xcnToReference(ctx, orc.first(12))) ?? (obr && xcnToReference(ctx, obr.first(16)));
  if (requester) request.requester = requester;
  const reason = obr && cweToCodeableConcept(ctx, obr.first(31));
  if (reason) request.reason = [{ concept: reason }];
  return request;
}
