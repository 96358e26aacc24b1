import { OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { isoFromUnixSeconds, parseReceipt, type Receipt } from './format.js';

const h = (byte: string): string => `0x${byte.repeat(32)}`;
const valid: Receipt = {
  format: 'careledger-receipt/1',
  canonicalization: 'urn:careledger:canonicalization:jcs-rfc8785:drop-text-meta:v1',
  resource: { type: 'Patient', id: 'p-1.a', versionId: '12' },
  digest: h('01') as `0x${string}`,
  salt: h('02') as `0x${string}`,
  versionKey: h('03') as `0x${string}`,
  leaf: h('04') as `0x${string}`,
  leafIndex: 0,
  treeSize: 1,
  auditPath: [],
  root: h('04') as `0x${string}`,
  anchor: {
    member: h('05') as `0x${string}`,
    submitter: `0x${'06'.repeat(20)}`,
    sequence: '18446744073709551615',
    prevRoot: h('00') as `0x${string}`,
    leafCount: 1,
    chainId: 1,
    contract: `0x${'07'.repeat(20)}`,
    txHash: h('08') as `0x${string}`,
    blockNumber: 0,
    blockTime: '1970-01-01T00:00:00Z',
    blockTimestamp: 0,
  },
};

function problem(value: unknown): string {
  try {
    parseReceipt(value);
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    return (err as OperationOutcomeError).outcome.issue[0]!.details!.text!;
  }
  throw new Error('expected the receipt to be rejected');
}

const withAnchor = (patch: Record<string, unknown>): unknown => ({ ...valid, anchor: { ...valid.anchor, ...patch } });

describe('parseReceipt', () => {
  it('round-trips a receipt through JSON and returns a fresh object', () => {
    const parsed = parseReceipt(JSON.stringify(valid));
    expect(parsed).toEqual(valid);
    const again = parseReceipt(valid);
    expect(again).not.toBe(valid);
    expect(again.anchor).not.toBe(valid.anchor);
    expect(again.auditPath).not.toBe(valid.auditPath);
  });

  it('accepts the bounds: uint64 max sequence, 32-hash path, uint32 tree', () => {
    expect(parseReceipt({ ...valid, auditPath: Array(32).fill(h('09')), treeSize: 2 ** 32 - 1, leafIndex: 2 ** 32 - 2 }).treeSize).toBe(2 ** 32 - 1);
  });

  it.each([
    [{ ...valid, format: 'careledger-receipt/3' }, /\$\.format must be "careledger-receipt\/1"/],
    [{ ...valid, canonicalization: '' }, /\$\.canonicalization must be a non-empty string/],
    [{ ...valid, resource: { type: 'Patient', id: 'p/1', versionId: '1' } }, /\$\.resource\.id must be a FHIR id/],
    [{ ...valid, resource: { type: 'patient', id: 'p', versionId: '1' } }, /\$\.resource\.type must be a FHIR resource type/],
    [{ ...valid, resource: { type: 'Patient', id: 'p', versionId: '1', extra: 1 } }, /\$\.resource\.extra is not a receipt field/],
    [{ ...valid, resource: { type: 'Patient', id: 'p' } }, /\$\.resource\.versionId is missing/],
    [{ ...valid, leaf: undefined }, /\$\.leaf is missing/],
    [{ ...valid, root: `${h('04')}00` }, /\$\.root must be 0x followed by 64/],
    [{ ...valid, treeSize: 0 }, /\$\.treeSize must be an integer in 1\.\.4294967295/],
    [{ ...valid, treeSize: 2 ** 32 }, /\$\.treeSize must be an integer/],
    [{ ...valid, leafIndex: -1 }, /\$\.leafIndex must be an integer in 0\.\.0/],
    [{ ...valid, leafIndex: 0.5, treeSize: 2 }, /\$\.leafIndex must be an integer/],
    [{ ...valid, leafIndex: '0' }, /\$\.leafIndex must be an integer/],
    [{ ...valid, auditPath: h('01') }, /\$\.auditPath must be an array/],
    [{ ...valid, auditPath: Array(33).fill(h('09')) }, /\$\.auditPath must have at most 32/],
    [{ ...valid, auditPath: [h('01'), 'x'] }, /\$\.auditPath\[1\] must be 0x/],
    [{ ...valid, anchor: null }, /\$\.anchor must be a JSON object/],
    [withAnchor({ sequence: '18446744073709551616' }), /\$\.anchor\.sequence must fit in uint64/],
    [withAnchor({ sequence: '0' }), /\$\.anchor\.sequence must be a decimal uint64 >= 1/],
    [withAnchor({ sequence: 7 }), /\$\.anchor\.sequence must be a decimal/],
    [withAnchor({ submitter: h('06') }), /\$\.anchor\.submitter must be 0x followed by 40/],
    [withAnchor({ contract: `0x${'AB'.repeat(20)}` }), /\$\.anchor\.contract must be 0x followed by 40 lower-case/],
    [withAnchor({ chainId: 0 }), /\$\.anchor\.chainId must be an integer in 1\.\./],
    [withAnchor({ blockNumber: -1 }), /\$\.anchor\.blockNumber must be an integer/],
    [withAnchor({ blockTimestamp: 1, blockTime: '1970-01-01T00:00:00Z' }), /\$\.anchor\.blockTime must be the same instant as blockTimestamp \(1970-01-01T00:00:01Z\)/],
    [withAnchor({ blockTime: '1970-01-01 00:00:00Z' }), /\$\.anchor\.blockTime must be ISO 8601 UTC/],
    [withAnchor({ blockTimestamp: 9e12 }), /\$\.anchor\.blockTimestamp must be an integer/],
    [withAnchor({ leafCount: 0 }), /\$\.anchor\.leafCount must be an integer/],
  ])('rejects %j', (bad, message) => {
    expect(problem(bad)).toMatch(message);
  });

  it('prints block times as UTC with second precision', () => {
    expect(isoFromUnixSeconds(1740816005)).toBe('2025-03-01T08:00:05Z');
  });
});

describe('receipt format versions', () => {
  const current = { ...valid, format: 'careledger-receipt/2', anchor: { kind: 'evm', ...valid.anchor } } as Receipt;

  it('reads the current format with the ledger kind first in the anchor block', () => {
    const parsed = parseReceipt(JSON.stringify(current));
    expect(parsed).toEqual(current);
    expect(Object.keys(parsed.anchor)[0]).toBe('kind');
  });

  it('reads a careledger-receipt/1 receipt as it was issued, without adding a kind', () => {
    const parsed = parseReceipt(valid);
    expect(parsed.format).toBe('careledger-receipt/1');
    expect('kind' in parsed.anchor).toBe(false);
  });

  it.each([
    [{ ...current, anchor: valid.anchor }, /\$\.anchor\.kind is missing/],
    [{ ...current, anchor: { ...current.anchor, kind: 'fabric' } }, /\$\.anchor\.kind must be "evm"/],
    [{ ...valid, anchor: { kind: 'evm', ...valid.anchor } }, /\$\.anchor\.kind is not a receipt field/],
  ])('rejects %j', (bad, message) => {
    expect(problem(bad)).toMatch(message);
  });
});
