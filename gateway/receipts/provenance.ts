// The FHIR face of a receipt: an R5 Provenance that targets the anchored version, is recorded at
// the block time, names the hospital as custodian and carries the receipt itself, so a FHIR
// client can hand a payer one resource and the payer has everything to verify it.
import type { FhirResource } from '../store/service.js';
import type { Receipt } from './format.js';

export const RECEIPT_EXTENSION_URL = 'https://careledger.dev/fhir/StructureDefinition/anchor-receipt';
/** Identifier system for consortium member ids (bytes32 keccak256 of the org id). */
export const MEMBER_ID_SYSTEM = 'https://careledger.dev/fhir/NamingSystem/member-id';
/** The policy under which the version was anchored: trust comes from the chain, not a signature. */
export const ANCHOR_POLICY_URL = 'https://careledger.dev/fhir/policy/ledger-anchored-receipt/v1';

export interface ProvenanceOptions {
  /** Logical id of the Provenance, when the caller stores it. */
  id?: string;
  /** `Organization/<id>` of the hospital in this node, when it has one. */
  organization?: string;
  /** Human-readable name of the hospital. */
  organizationName?: string;
  /** When the version came into being (its meta.lastUpdated). */
  occurred?: string;
}

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An R5 Provenance for the version a receipt covers. */
export function buildProvenance(receipt: Receipt, options: ProvenanceOptions = {}): FhirResource {
  const { type, id, versionId } = receipt.resource;
  const target = `${type}/${id}/_history/${versionId}`;
  const a = receipt.anchor;
  const who: Record<string, unknown> = {
    identifier: { system: MEMBER_ID_SYSTEM, value: a.member },
  };
  if (options.organization !== undefined) who.reference = options.organization;
  if (options.organizationName !== undefined) who.display = options.organizationName;

  const summary =
    `${target} was anchored in batch ${a.sequence} of member ${a.member} ` +
    `(leaf ${receipt.leafIndex} of ${receipt.treeSize}, root ${receipt.root}) ` +
    `in block ${a.blockNumber} of chain ${a.chainId} at ${a.blockTime}, transaction ${a.txHash}.`;

  const provenance: FhirResource = {
    resourceType: 'Provenance',
    ...(options.id !== undefined ? { id: options.id } : {}),
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escapeXml(summary)}</p></div>`,
    },
    extension: [
      {
        url: RECEIPT_EXTENSION_URL,
        valueAttachment: {
          contentType: 'application/json',
          data: Buffer.from(JSON.stringify(receipt), 'utf8').toString('base64'),
          title: `careledger receipt for ${target}`,
        },
      },
    ],
    target: [{ reference: target }],
    ...(options.occurred !== undefined ? { occurredDateTime: options.occurred } : {}),
    recorded: a.blockTime,
    policy: [ANCHOR_POLICY_URL],
    agent: [
      {
        type: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
              code: 'custodian',
              display: 'Custodian',
            },
          ],
        },
        who,
      },
    ],
  };
  return provenance;
}

/** The receipt JSON carried by a Provenance built here, or null when it carries none. */
export function receiptJsonFromProvenance(provenance: FhirResource): string | null {
  const extensions = provenance.extension;
  if (!Array.isArray(extensions)) return null;
  for (const ext of extensions as Array<{ url?: unknown; valueAttachment?: { data?: unknown } }>) {
    if (ext?.url === RECEIPT_EXTENSION_URL && typeof ext.valueAttachment?.data === 'string') {
      return Buffer.from(ext.valueAttachment.data, 'base64').toString('utf8');
    }
  }
  return null;
}

/**
 * What a Provenance says beside its receipt (the version it targets, the custodian's member id,
 * when it was recorded) are claims a reader may act on, so they must be the receipt's own. Null
 * when they agree, else the first disagreement; the receipt itself is checked by verifyReceipt.
 */
export function provenanceMismatch(provenance: FhirResource, receipt: Receipt): string | null {
  const { type, id, versionId } = receipt.resource;
  const version = `${type}/${id}/_history/${versionId}`;
  const targets = Array.isArray(provenance.target) ? (provenance.target as Array<{ reference?: unknown }>) : [];
  if (targets.length !== 1 || targets[0]?.reference !== version) {
    return `The Provenance targets ${targets.map((t) => String(t?.reference)).join(', ') || 'nothing'}, but its receipt covers ${version}.`;
  }
  const agents = Array.isArray(provenance.agent) ? (provenance.agent as Array<{ who?: { identifier?: { system?: unknown; value?: unknown } } }>) : [];
  for (const agent of agents) {
    const identifier = agent?.who?.identifier;
    if (identifier?.system === MEMBER_ID_SYSTEM && identifier.value !== receipt.anchor.member) {
      return `The Provenance names member ${String(identifier.value)}, but its receipt was anchored by member ${receipt.anchor.member}.`;
    }
  }
  if (provenance.recorded !== undefined && provenance.recorded !== receipt.anchor.blockTime) {
    return `The Provenance was recorded at ${String(provenance.recorded)}, but its receipt's block time is ${receipt.anchor.blockTime}.`;
  }
  return null;
}
