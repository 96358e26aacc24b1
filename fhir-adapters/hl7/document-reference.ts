// MDM^T02/T04/T06/T08/T10 (document with content) and T11 (cancel) -> DocumentReference
// (v2-to-FHIR IG segment map TXA[DocumentReference]); the OBX segments are the content.

import type { FhirResource } from '../../gateway/store/service.js';
import { V2_TABLE } from './code-systems.js';
import { cweToCodeableConcept, edToAttachment, eiToIdentifier, xcnToReference } from './datatypes.js';
import { optionalField, readInstant, warnUnplaced, type MappingContext } from './mapping-context.js';
import type { V2Segment } from './v2-segment.js';

/** TXA-17 completion status (table 0271) -> composition-status as DocumentReference.docStatus. */
const COMPLETION: Record<string, string> = {
  DI: 'preliminary', DO: 'preliminary', IP: 'partial', IN: 'partial', PA: 'preliminary', AU: 'final', LA: 'final',
};
/** Events that carry no content but change the status of a document sent before. */
export const DOCUMENT_STATUS_EVENTS: Record<string, string> = { T11: 'entered-in-error' };

/** The OBX content: an ED repetition is one attachment each; text (TX, FT, ST) lines are one
 * text/plain attachment. Any other OBX-2 cannot be a document body and is warned about. */
function content(ctx: MappingContext, obxs: V2Segment[], title: string | undefined): Array<Record<string, unknown>> {
  const attachments: Array<Record<string, unknown>> = [];
  const lines: string[] = [];
  for (const obx of obxs) {
    const type = obx.value(2).toUpperCase();
    if (type === 'ED') {
      for (const ed of obx.repetitions(5)) {
        const attachment = optionalField(ctx, () => edToAttachment(ed, obx.at(5), title));
        if (attachment) attachments.push({ attachment });
      }
    } else if (type === 'TX' || type === 'FT' || type === 'ST') {
      lines.push(...obx.repetitions(5).map((v) => v.wholeText()));
    } else if (obx.repetitions(5).length > 0) {
      warnUnplaced(ctx, obx.at(2), `OBX[${obx.sequence}]-2 value type '${type}' is not document content (ED, TX, FT, ST are); left out`);
    }
  }
  if (lines.length > 0) {
    attachments.unshift({ attachment: { contentType: 'text/plain', data: Buffer.from(lines.join('\n'), 'utf8').toString('base64'), ...(title && { title }) } });
  }
  return attachments;
}

export function mapDocumentReference(
  ctx: MappingContext,
  txa: V2Segment,
  obxs: V2Segment[],
  context: { id: string; event: string; subject: string; encounter?: Record<string, unknown> },
): FhirResource {
  const type = cweToCodeableConcept(ctx, txa.first(2), V2_TABLE('0270'));
  const title = type?.text ?? type?.coding?.[0]?.display ?? type?.coding?.[0]?.code;
  const attachments = content(ctx, obxs, title);
  // R5 needs one content entry; a status-only event (T11) or a body this node could not read
  // still names the document, so the record says what it is.
  const body = attachments.length > 0 ? attachments : [{ attachment: { title: title ?? 'clinical document' } }];

  const availability = txa.value(19).toUpperCase();
  const status = DOCUMENT_STATUS_EVENTS[context.event] ?? (availability === 'CA' ? 'entered-in-error' : availability === 'OB' ? 'superseded' : 'current');
  const document: FhirResource = { resourceType: 'DocumentReference', id: context.id };
  const identifier = eiToIdentifier(ctx, txa.first(12), 'FILL');
  if (identifier) document.identifier = [identifier];
  document.status = status;
  const docStatus = COMPLETION[txa.value(17).toUpperCase()];
  if (docStatus) document.docStatus = docStatus;
  if (type) document.type = type;
  document.subject = { reference: context.subject };
  if (context.encounter) document.context = [context.encounter];
  const date = optionalField(ctx, () => readInstant(ctx, txa, 4)) ?? optionalField(ctx, () => readInstant(ctx, txa, 6));
  if (date) document.date = date;
  const authors = [...txa.repetitions(5), ...txa.repetitions(9)].map((xcn) => xcnToReference(ctx, xcn)).filter((r) => r !== undefined);
  if (authors.length > 0) document.author = authors;
  document.content = body;
  return document;
}
