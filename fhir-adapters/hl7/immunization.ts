// VXU^V04 RXA (+ RXR) -> Immunization (v2-to-FHIR IG segment maps RXA[Immunization] and
// RXR[Immunization]), written for R5: `manufacturer` is a CodeableReference.

import type { FhirResource } from '../../gateway/store/service.js';
import { V2_TABLE } from './code-systems.js';
import { cweToCodeableConcept, xcnToReference } from './datatypes.js';
import { optionalField, readDate, readDateTime, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
import type { V2Segment } from './v2-segment.js';

const CVX = 'http://hl7.org/fhir/sid/cvx';
const MVX = 'http://hl7.org/fhir/sid/mvx';
const UCUM = 'http://unitsofmeasure.org';
/** RXA-6 999 is CDC's "amount unknown". */
const UNKNOWN_AMOUNT = '999';
/** RXA-20 completion status (table 0322): refused and not administered are `not-done`. */
const NOT_DONE = new Set(['RE', 'NA']);

export function mapImmunization(
  ctx: MappingContext,
  rxa: V2Segment,
  rxr: V2Segment | undefined,
  context: { id: string; patient: string; encounter?: Record<string, unknown> },
): FhirResource {
  const vaccineCode = cweToCodeableConcept(ctx, rxa.first(5), CVX);
  if (!vaccineCode) throw new Hl7MappingError('missing-field', `${describeLocation(rxa.at(5))} (administered code) is empty`, rxa.at(5));
  const occurrence = readDateTime(ctx, rxa, 3);
  if (!occurrence) throw new Hl7MappingError('missing-field', `${describeLocation(rxa.at(3))} (date/time start of administration) is empty`, rxa.at(3));

  const completion = rxa.value(20).toUpperCase();
  const status = rxa.value(21).toUpperCase() === 'D' ? 'entered-in-error' : NOT_DONE.has(completion) ? 'not-done' : 'completed';
  const immunization: FhirResource = { resourceType: 'Immunization', id: context.id, status };
  if (status === 'not-done') {
    const reason = cweToCodeableConcept(ctx, rxa.first(18), V2_TABLE('0999'));
    if (reason) immunization.statusReason = reason;
  }
  immunization.vaccineCode = vaccineCode;
  const manufacturer = cweToCodeableConcept(ctx, rxa.first(17), MVX);
  if (manufacturer) immunization.manufacturer = { concept: manufacturer };
  const lot = rxa.value(15);
  if (lot) immunization.lotNumber = lot;
  const expiration = optionalField(ctx, () => readDate(rxa, 16));
  if (expiration) immunization.expirationDate = expiration;
  immunization.patient = { reference: context.patient };
  if (context.encounter) immunization.encounter = context.encounter;
  immunization.occurrenceDateTime = occurrence;
  // RXA-9 (NIP001): 00 is a new record from the administering site, 01-08 historical sources.
  const source = rxa.value(9);
  if (source) immunization.primarySource = source === '00';

  if (rxr) {
    const route = cweToCodeableConcept(ctx, rxr.first(1), V2_TABLE('0162'));
    if (route) immunization.route = route;
    const site = cweToCodeableConcept(ctx, rxr.first(2), V2_TABLE('0163'));
    if (site) immunization.site = site;
  }

  const amount = rxa.value(6);
  if (amount && amount !== UNKNOWN_AMOUNT && /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(amount)) {
    const units = rxa.first(7);
    const unit = units.get(2) || units.get(1);
    immunization.doseQuantity = {
      value: Number(amount),
      ...(unit && { unit }),
      ...(units.get(1) && units.get(3).toUpperCase() === 'UCUM' && { system: UCUM, code: units.get(1) }),
    };
  }

  const performer = rxa.repetitions(10).map((xcn) => xcnToReference(ctx, xcn)).filter((r) => r !== undefined);
  if (performer.length > 0) {
    immunization.performer = performer.map((actor) => ({ function: { coding: [{ system: V2_TABLE('0443'), code: 'AP', display: 'Administering Provider' }] }, actor }));
  }
  return immunization;
}
