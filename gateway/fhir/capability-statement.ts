// The CapabilityStatement each base serves at /metadata, generated once at start from the same
// configuration the routes use (types, search parameters, operations, SMART endpoints). Clients
// discover auth from it (`rest.security`, SMART's oauth-uris extension: the Bulk Data client does)
// and what search they may send: each type lists exactly the parameters the parser accepts.

import type { FhirResource } from '../store/service.js';
import { receiptDefinition } from './operations/receipt.js';
import { verifyAnchorDefinition } from './operations/verify-anchor.js';
import type { SmartEndpoints } from './options.js';
import type { SearchParameterLookup } from './search-parameters.js';

export interface CapabilitySettings {
  fhirVersion: 'R5' | 'R4';
  /** This base's own URL. */
  url: string;
  /** The R5 base, where an R4 client reads back what it wrote. */
  readUrl: string;
  resourceTypes: readonly string[];
  searchParameters: SearchParameterLookup;
  smart?: SmartEndpoints;
  /** Bulk Data export is served under this base. */
  bulkExport?: boolean;
  software: { name: string; version: string };
}

const BULK_DATA = 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition';

const SMART_OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

function security(smart: SmartEndpoints | undefined): Record<string, unknown> | undefined {
  if (!smart) return undefined;
  const extension = Object.entries(smart).map(([url, valueUri]) => ({ url, valueUri }));
  return {
    extension: [{ url: SMART_OAUTH_URIS, extension }],
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
      },
    ],
    description: 'SMART Backend Services (client_credentials with a signed JWT assertion), system/* scopes.',
  };
}

function r5Resource(type: string, settings: CapabilitySettings): Record<string, unknown> {
  const parameters = [...settings.searchParameters(type).values()];
  const searchParam = parameters.map((p) => ({
    name: p.code,
    ...(p.definition ? { definition: p.definition } : {}),
    type: p.type,
    documentation: p.documentation,
  }));
  const operation: Array<{ name: string; definition: string; documentation: string }> = [
    { name: receiptDefinition.code, definition: receiptDefinition.url, documentation: receiptDefinition.description },
  ];
  if (settings.bulkExport && (type === 'Patient' || type === 'Group')) {
    operation.push({
      name: 'export',
      definition: `${BULK_DATA}/${type === 'Patient' ? 'patient-export' : 'group-export'}`,
      documentation: `GET with Prefer: respond-async: Bulk Data export of ${type === 'Patient' ? 'every patient\'s compartment' : 'the compartments of the group\'s members'}.`,
    });
  }
  const references = parameters.filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`);
  return {
    type,
    interaction: ['read', 'vread', 'update', 'delete', 'history-instance', 'create', 'search-type'].map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'not-supported',
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    searchInclude: references,
    searchParam,
    operation,
  };
}

function r4Resource(type: string): Record<string, unknown> {
  return {
    type,
    interaction: ['create', 'update', 'delete'].map((code) => ({ code })),
    versioning: 'versioned-update',
    updateCreate: true,
    conditionalCreate: true,
  };
}

export function capabilityStatement(settings: CapabilitySettings): FhirResource {
  const r5 = settings.fhirVersion === 'R5';
  const rest: Record<string, unknown> = {
    mode: 'server',
    documentation: r5
      ? 'careledger R5 base: full RESTful API over the node\'s stored (R5) resources.'
      : `careledger R4 intake base: writes only. Each R4 resource is validated, converted to R5 and stored; read it back at ${settings.readUrl}.`,
    security: security(settings.smart),
    resource: settings.resourceTypes.map((type) => (r5 ? r5Resource(type, settings) : r4Resource(type))),
    interaction: [{ code: 'transaction' }, { code: 'batch' }],
  };
  if (r5) {
    rest.operation = [
      { name: verifyAnchorDefinition.code, definition: verifyAnchorDefinition.url, documentation: verifyAnchorDefinition.description },
    ];
    if (settings.bulkExport) {
      (rest.operation as unknown[]).push({
        name: 'export',
        definition: `${BULK_DATA}/export`,
        documentation: 'GET with Prefer: respond-async: system-level Bulk Data export (Bulk Data Access 2.0); poll Content-Location.',
      });
    }
  }
  return {
    resourceType: 'CapabilityStatement',
    name: r5 ? 'CareledgerR5Base' : 'CareledgerR4IntakeBase',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: settings.software,
    implementation: { description: r5 ? 'careledger FHIR R5 base' : 'careledger FHIR R4 intake base', url: settings.url },
    fhirVersion: r5 ? '5.0.0' : '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [rest],
  };
}
