// The receipt: everything a payer needs, besides the resource and read access to the chain, to
// check that a resource version was anchored by a member at a time. docs/receipts.md is the
// normative description; the parser is strict so that a receipt has exactly one reading.
import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { Hex } from '../ledger/ports.js';

/** What the node issues: the anchor block names its ledger kind first. */
export const RECEIPT_FORMAT = 'careledger-receipt/2';
/** Receipts issued before the ledger kind was written down; their anchors are all EVM. Still read. */
export const RECEIPT_FORMAT_V1 = 'careledger-receipt/1';

/** The version this receipt is about, as `Type/id/_history/versionId`. */
export interface ReceiptResourceRef {
  type: string;
  id: string;
  versionId: string;
}

/** Where and when the batch root was written; mirrors AnchorRecord in JSON-safe types. */
export interface ReceiptAnchor {
  /** The ledger kind, first in the block; absent in careledger-receipt/1, whose anchors are EVM. */
  kind?: 'evm';
  /** bytes32 member id = keccak256(UTF-8 org id). */
  member: Hex;
  /** 20-byte address that sent the anchoring transaction. */
  submitter: Hex;
  /** uint64 as a decimal string: JSON numbers lose precision past 2^53. */
  sequence: string;
  prevRoot: Hex;
  leafCount: number;
  chainId: number;
  /** AnchorRegistry address. */
  contract: Hex;
  txHash: Hex;
  blockNumber: number;
  /** Block time as ISO 8601 UTC with second precision, e.g. 2025-01-31T12:00:00Z. */
  blockTime: string;
  /** The same instant as unix seconds (what the chain stores). */
  blockTimestamp: number;
}

export interface Receipt {
  format: typeof RECEIPT_FORMAT | typeof RECEIPT_FORMAT_V1;
  canonicalization: string;
  resource: ReceiptResourceRef;
  digest: Hex;
  salt: Hex;
  versionKey: Hex;
  leaf: Hex;
  leafIndex: number;
  treeSize: number;
  /** Sibling hashes from the leaf up, RFC 9162 PATH order. */
  auditPath: Hex[];
  root: Hex;
  anchor: ReceiptAnchor;
}

const HASH_HEX = /^0x[0-9a-f]{64}$/;
const ADDRESS_HEX = /^0x[0-9a-f]{40}$/;
/** FHIR resource type names. */
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{0,63}$/;
/** FHIR id (also the versionId syntax): no '/', so `Type/id/_history/v` has one reading. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const SEQUENCE = /^[1-9][0-9]{0,19}$/;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const UINT32_MAX = 0xffffffff;
const UINT64_MAX = 2n ** 64n - 1n;
/** A uint32 tree has at most 32 levels. */
const MAX_PATH = 32;
/** Latest instant a JavaScript Date can hold, in seconds. */
const MAX_TIMESTAMP = 8.64e12;

const RECEIPT_KEYS = [
  'format',
  'canonicalization',
  'resource',
  'digest',
  'salt',
  'versionKey',
  'leaf',
  'leafIndex',
  'treeSize',
  'auditPath',
  'root',
  'anchor',
] as const;
const RESOURCE_KEYS = ['type', 'id', 'versionId'] as const;
const ANCHOR_KEYS_V1 = [
  'member',
  'submitter',
  'sequence',
  'prevRoot',
  'leafCount',
  'chainId',
  'contract',
  'txHash',
  'blockNumber',
  'blockTime',
  'blockTimestamp',
] as const;
const ANCHOR_KEYS = ['kind', ...ANCHOR_KEYS_V1] as const;

/** The ISO form receipts use for a unix time: UTC, second precision. */
export function isoFromUnixSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function fail(path: string, problem: string): never {
  throw new OperationOutcomeError(
    badRequest(`Invalid receipt: ${path} ${problem} (see docs/receipts.md, format ${RECEIPT_FORMAT})`, path),
  );
}

function record(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be a JSON object');
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key)) fail(`${path}.${key}`, `is not a receipt field (allowed: ${keys.join(', ')})`);
  }
  for (const key of keys) {
    if (obj[key] === undefined) fail(`${path}.${key}`, 'is missing');
  }
  return obj;
}

function text(value: unknown, path: string, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) fail(path, `must be ${what}`);
  return value;
}

function hash(value: unknown, path: string): Hex {
  return text(value, path, HASH_HEX, '0x followed by 64 lower-case hex digits') as Hex;
}

function address(value: unknown, path: string): Hex {
  return text(value, path, ADDRESS_HEX, '0x followed by 40 lower-case hex digits') as Hex;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `must be an integer in ${min}..${max}`);
  }
  return value;
}

/**
 * Strict parse of a receipt (a JSON string or an already parsed value). Rejects unknown or
 * missing fields, upper-case or unprefixed hex, wrong lengths, out-of-range numbers and
 * internal contradictions (leafIndex >= treeSize, blockTime not equal to blockTimestamp).
 * Throws OperationOutcomeError (400) naming the offending field. Returns a fresh object.
 */
export function parseReceipt(json: unknown): Receipt {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch {
      fail('$', 'is not valid JSON');
    }
  }
  const r = record(value, '$', RECEIPT_KEYS);
  if (r.format !== RECEIPT_FORMAT && r.format !== RECEIPT_FORMAT_V1) fail('$.format', `must be "${RECEIPT_FORMAT_V1}" or "${RECEIPT_FORMAT}"`);
  const format = r.format;
  if (typeof r.canonicalization !== 'string' || r.canonicalization.length === 0) {
    fail('$.canonicalization', 'must be a non-empty string');
  }

  const res = record(r.resource, '$.resource', RESOURCE_KEYS);
  const resource: ReceiptResourceRef = {
    type: text(res.type, '$.resource.type', RESOURCE_TYPE, 'a FHIR resource type name'),
    id: text(res.id, '$.resource.id', FHIR_ID, 'a FHIR id ([A-Za-z0-9-.]{1,64})'),
    versionId: text(res.versionId, '$.resource.versionId', FHIR_ID, 'a FHIR id ([A-Za-z0-9-.]{1,64})'),
  };

  const treeSize = integer(r.treeSize, '$.treeSize', 1, UINT32_MAX);
  const leafIndex = integer(r.leafIndex, '$.leafIndex', 0, treeSize - 1);
  if (!Array.isArray(r.auditPath)) fail('$.auditPath', 'must be an array of hashes');
  if (r.auditPath.length > MAX_PATH) fail('$.auditPath', `must have at most ${MAX_PATH} hashes`);
  const auditPath = r.auditPath.map((h: unknown, i: number) => hash(h, `$.auditPath[${i}]`));

  const a = record(r.anchor, '$.anchor', format === RECEIPT_FORMAT ? ANCHOR_KEYS : ANCHOR_KEYS_V1);
  // Only EVM anchors are verifiable so far; docs/receipts.md names the fields a Fabric anchor will carry.
  if (format === RECEIPT_FORMAT && a.kind !== 'evm') fail('$.anchor.kind', 'must be "evm" (the only ledger kind this verifier reads)');
  const sequence = text(a.sequence, '$.anchor.sequence', SEQUENCE, 'a decimal uint64 >= 1 without leading zeros');
  if (BigInt(sequence) > UINT64_MAX) fail('$.anchor.sequence', 'must fit in uint64');
  const blockTimestamp = integer(a.blockTimestamp, '$.anchor.blockTimestamp', 0, MAX_TIMESTAMP);
  const blockTime = text(a.blockTime, '$.anchor.blockTime', ISO_SECONDS, 'ISO 8601 UTC with second precision');
  if (blockTime !== isoFromUnixSeconds(blockTimestamp)) {
    fail('$.anchor.blockTime', `must be the same instant as blockTimestamp (${isoFromUnixSeconds(blockTimestamp)})`);
  }
  const fields: ReceiptAnchor = {
    member: hash(a.member, '$.anchor.member'),
    submitter: address(a.submitter, '$.anchor.submitter'),
    sequence,
    prevRoot: hash(a.prevRoot, '$.anchor.prevRoot'),
    leafCount: integer(a.leafCount, '$.anchor.leafCount', 1, UINT32_MAX),
    chainId: integer(a.chainId, '$.anchor.chainId', 1, Number.MAX_SAFE_INTEGER),
    contract: address(a.contract, '$.anchor.contract'),
    txHash: hash(a.txHash, '$.anchor.txHash'),
    blockNumber: integer(a.blockNumber, '$.anchor.blockNumber', 0, Number.MAX_SAFE_INTEGER),
    blockTime,
    blockTimestamp,
  };
  // careledger-receipt/1 is returned as it was written: no kind added.
  const anchor: ReceiptAnchor = format === RECEIPT_FORMAT ? { kind: 'evm', ...fields } : fields;

  return {
    format,
    canonicalization: r.canonicalization,
    resource,
    digest: hash(r.digest, '$.digest'),
    salt: hash(r.salt, '$.salt'),
    versionKey: hash(r.versionKey, '$.versionKey'),
    leaf: hash(r.leaf, '$.leaf'),
    leafIndex,
    treeSize,
    auditPath,
    root: hash(r.root, '$.root'),
    anchor,
  };
}
