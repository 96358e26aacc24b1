// ADT^A40 (merge patient, patient identifier list): MRG names the record that disappears, the
// PID the one that survives. After the IG's ADT_A39/A40 message map and R5's Patient.link: the
// survivor `replaces` the old record, the old record is `replaced-by` the survivor and no
// longer active. The old record is written as exactly that (its identifiers, active false, the
// link): its earlier versions keep its demographics in the history.

import type { FhirResource } from '../../gateway/store/service.js';
import type { MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
import { patientIdentity } from './patient.js';
import type { V2Segment } from './v2-segment.js';

export function mapPatientMerge(ctx: MappingContext, survivor: FhirResource, mrg: V2Segment, keyAuthoritySystem: string | undefined): FhirResource {
  const prior = patientIdentity(ctx, mrg, 1, keyAuthoritySystem);
  if (prior.id === survivor.id) {
    throw new Hl7MappingError('bad-value', `${describeLocation(mrg.at(1))} names the same patient as PID-3: nothing to merge`, mrg.at(1));
  }
  survivor.link = [{ other: { reference: `Patient/${prior.id}` }, type: 'replaces' }];
  return {
    resourceType: 'Patient',
    id: prior.id,
    identifier: prior.identifier,
    active: false,
    link: [{ other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' }],
  };
}
