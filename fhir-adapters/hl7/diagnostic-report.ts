// OBR -> DiagnosticReport (v2-to-FHIR IG segment map OBR[DiagnosticReport]).

import type { FhirResource } from '../../gateway/store/service.js';
import { V2_TABLE } from './code-systems.js';
import { cweToCodeableConcept, eiToIdentifier, type Identifier } from './datatypes.js';
import { optionalField, readDateTime, readInstant, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
import type { V2Segment } from './v2-segment.js';

/** v2 table 0123 -> diagnostic-report-status (IG ConceptMap). */
const STATUS: Record<string, string> = {
  O: 'registered', I: 'registered', S: 'registered', A: 'partial', P: 'preliminary',
  C: 'corrected', R: 'partial', F: 'final', X: 'cancelled',
};

export interface OrderIdentifiers {
  placer?: Identifier;
  filler?: Identifier;
}

/** OBR-2 / OBR-3, falling back to ORC-2 / ORC-3 (v2 allows either place). */
export function orderIdentifiers(ctx: MappingContext, obr: V2Segment, orc: V2Segment | undefined): OrderIdentifiers {
  return {
    placer: eiToIdentifier(ctx, obr.first(2), 'PLAC') ?? (orc && eiToIdentifier(ctx, orc.first(2), 'PLAC')),
    filler: eiToIdentifier(ctx, obr.first(3), 'FILL') ?? (orc && eiToIdentifier(ctx, orc.first(3), 'FILL')),
  };
}

/**
 * The business key of a report: the filler order number (what the lab calls this result), else
 * the placer order number, else the message control id and OBR position. Only the last changes
 * when a corrected result is resent, so senders that number orders get corrections applied to
 * the same resources.
 */
export function reportKey(orders: OrderIdentifiers, controlId: string, obr: V2Segment): string[] {
  if (orders.filler) return ['filler', orders.filler.system ?? '', orders.filler.value];
  if (orders.placer) return ['placer', orders.placer.system ?? '', orders.placer.value];
  return ['message', controlId, String(obr.sequence)];
}

export interface ReportContext {
  id: string;
  orders: OrderIdentifiers;
  subject: string;
  encounter?: Record<string, unknown>;
  results: string[];
  notes: string[];
}

function reportStatus(obr: V2Segment): string {
  const code = obr.value(25).toUpperCase();
  if (!code) return 'unknown';
  const status = STATUS[code];
  if (!status) throw new Hl7MappingError('bad-value', `${describeLocation(obr.at(25))} '${code}' is not a result status (HL7 table 0123); status unknown`, obr.at(25));
  return status;
}

export function mapDiagnosticReport(ctx: MappingContext, obr: V2Segment, context: ReportContext): FhirResource {
  const code = cweToCodeableConcept(ctx, obr.first(4));
  if (!code) {
    throw new Hl7MappingError('missing-field', `${describeLocation(obr.at(4))} (universal service identifier) is empty`, obr.at(4));
  }
  const status = optionalField(ctx, () => reportStatus(obr)) ?? 'unknown';

  const report: FhirResource = { resourceType: 'DiagnosticReport', id: context.id };
  const identifier = [context.orders.placer, context.orders.filler].filter((i) => i !== undefined);
  if (identifier.length > 0) report.identifier = identifier;
  report.status = status;

  const section = obr.value(24);
  if (section) report.category = [{ coding: [{ system: V2_TABLE('0074'), code: section }] }];
  report.code = code;
  report.subject = { reference: context.subject };
  if (context.encounter) report.encounter = context.encounter;

  const effective = optionalField(ctx, () => readDateTime(ctx, obr, 7));
  if (effective) report.effectiveDateTime = effective;
  const issued = optionalField(ctx, () => readInstant(ctx, obr, 22));
  if (issued) report.issued = issued;

  if (context.results.length > 0) report.result = context.results.map((reference) => ({ reference }));
  if (context.notes.length > 0) report.note = context.notes.map((text) => ({ text }));
  return report;
}
