import { getAddress } from 'ethers';
import { describe, expect, it } from 'vitest';
import { canonicalizeResource } from '../crypto/canonical.js';
import { leafHash, memberIdOf, newSalt, sha256, versionKey } from '../crypto/digest.js';
import { MerkleTree } from '../crypto/merkle.js';
import type { AnchorRecord, Hex } from '../ledger/ports.js';
import { isoFromUnixSeconds, type Receipt } from './format.js';
import { issueReceipt } from './issue.js';
import { CHECK_CODES, verifyReceipt, type AnchorLookup, type CheckCode } from './verify.js';

const observation = {
  resourceType: 'Observation',
  id: 'bp-42',
  meta: { versionId: '3', lastUpdated: '2025-02-01T10:00:00Z', tag: [{ code: 'x' }] },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">BP 120/80</div>' },
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
  subject: { reference: 'Patient/p-9' },
  effectiveDateTime: '2025-02-01T09:58:00Z',
  component: [
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      valueQuantity: { value: 120, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    },
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
      valueQuantity: { value: 80.5, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    },
  ],
  interpretation: [{ text: 'normal' }],
  dataAbsentReason: null,
  derived: false,
};

const MEMBER = memberIdOf('hospital-b');
const SUBMITTER = '0x8ba1f109551bd432803012645ac136ddd64dba72' as Hex;
const CONTRACT = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Hex;
/** The consortium's registry as a trust file pins it; the fixture's receipts name it. */
const PINNED = { chainId: 1337, anchorRegistry: CONTRACT };

interface Fixture {
  receipt: Receipt;
  anchors: AnchorRecord[];
  lookup: AnchorLookup;
}

function lookupOver(anchors: AnchorRecord[]): AnchorLookup {
  return async (member, sequence) =>
    anchors.find((a) => a.member.toLowerCase() === member && a.sequence === sequence) ?? null;
}

/** A 5-leaf batch with the observation at index 1, anchored as sequence 7, and an unrelated
 * sequence 8 on the same chain. The chain side returns checksummed addresses, as ethers does. */
function fixture(resource: Record<string, unknown> = observation, versionId = '3'): Fixture {
  const salt = newSalt();
  const digest = sha256(canonicalizeResource(resource));
  const leaf = leafHash(salt, versionKey(String(resource.resourceType), String(resource.id), versionId), digest);
  const leaves = [0, 1, 2, 3, 4].map((i) => (i === 1 ? leaf : sha256(`other ${i}`)));
  const tree = MerkleTree.build(leaves);
  const hex = (b: Buffer): Hex => `0x${b.toString('hex')}`;
  const anchor7: AnchorRecord = {
    member: MEMBER,
    submitter: getAddress(SUBMITTER) as Hex,
    sequence: 7n,
    root: hex(tree.root),
    leafCount: 5,
    prevRoot: hex(sha256('batch 6')),
    txHash: hex(sha256('tx 7')),
    blockNumber: 901,
    blockTime: 1738404000,
    chainId: 1337,
    contract: getAddress(CONTRACT) as Hex,
  };
  const anchor8: AnchorRecord = {
    ...anchor7,
    sequence: 8n,
    root: hex(sha256('batch 8')),
    prevRoot: anchor7.root,
    txHash: hex(sha256('tx 8')),
    blockNumber: 905,
    blockTime: 1738404020,
  };
  const receipt = issueReceipt(
    { type: String(resource.resourceType), id: String(resource.id), versionId, digest, salt, leafIndex: 1 },
    tree,
    anchor7,
  );
  const anchors = [anchor7, anchor8];
  return { receipt, anchors, lookup: lookupOver(anchors) };
}

async function expectFailure(
  resource: unknown,
  receipt: unknown,
  lookup: AnchorLookup,
  code: CheckCode,
): Promise<string> {
  const result = await verifyReceipt(resource, receipt, lookup, { pinned: PINNED });
  if (result.valid) throw new Error(`expected ${code} to fail, but the receipt verified`);
  expect(result.failedCheck).toBe(code);
  const passed = CHECK_CODES.slice(0, CHECK_CODES.indexOf(code)).map((name) => ({ name, passed: true }));
  expect(result.checks).toEqual([...passed, { name: code, passed: false, detail: result.reason }]);
  return result.reason;
}

/** Every primitive in a JSON value, with its path. */
function leafPaths(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, Array.isArray(value) ? Number(k) : k]));
  }
  return [path];
}

function setAt(root: unknown, path: Array<string | number>, update: (old: unknown) => unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  cursor[last] = update(cursor[last]);
  return copy;
}

/** A change that keeps the value well-formed, so the semantic check (not `format`) fires. */
function perturb(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  if (value === null) return 0;
  const s = String(value);
  if (/^0x[0-9a-f]+$/.test(s)) return s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');
  if (/^\d+$/.test(s)) return String(BigInt(s) + 1n);
  return `${s}x`;
}

describe('verifyReceipt', () => {
  it('accepts the resource with its receipt and reports every check in order', async () => {
    const { receipt, lookup, anchors } = fixture();
    const result = await verifyReceipt(observation, receipt, lookup, { pinned: PINNED });
    expect(result).toEqual({
      valid: true,
      receipt,
      anchor: anchors[0],
      checks: [
        ...CHECK_CODES.slice(0, -1).map((name) => ({ name, passed: true })),
        { name: 'member', passed: false, skipped: true, detail: 'Not checked: no membership check configured.' },
      ],
    });
  });

  it('reports `trust-contract` as skipped, not passed, when no registry is pinned', async () => {
    const { receipt, lookup } = fixture();
    const result = await verifyReceipt(observation, receipt, lookup);
    expect(result.checks.find((c) => c.name === 'trust-contract')).toEqual({
      name: 'trust-contract',
      passed: false,
      skipped: true,
      detail: 'Not checked: no trust file pinned the consortium registry.',
    });
  });

  it('fails `trust-contract` for a receipt naming another registry or chain, before reading the chain', async () => {
    const lookalike = '0x1111111111111111111111111111111111111111' as Hex;
    let calls = 0;
    const { receipt, lookup } = fixture();
    const counting: AnchorLookup = async (member, sequence) => {
      calls++;
      return lookup(member, sequence);
    };
    for (const pinned of [
      { chainId: 1337, anchorRegistry: lookalike },
      { chainId: 1338, anchorRegistry: CONTRACT },
    ]) {
      const result = await verifyReceipt(observation, receipt, counting, { pinned });
      expect(result).toMatchObject({ valid: false, failedCheck: 'trust-contract' });
      expect(!result.valid && result.reason).toMatch(/The receipt names AnchorRegistry 0x5fbd.* on chain 1337; the consortium's \(trust file\) is 0x.* on chain 133[78]/);
    }
    expect(calls).toBe(0);
  });

  it("passes a member check's detail and warning through", async () => {
    const { receipt, lookup } = fixture();
    const result = await verifyReceipt(observation, receipt, lookup, {
      pinned: PINNED,
      memberCheck: async () => ({ ok: true, detail: 'member hospital-b: today: removed', warning: true }),
    });
    expect(result.valid).toBe(true);
    expect(result.checks.at(-1)).toEqual({ name: 'member', passed: true, warning: true, detail: 'member hospital-b: today: removed' });
  });

  it('accepts the receipt as JSON text, and a resource with another text, meta or member order', async () => {
    const { receipt, lookup } = fixture();
    const reshaped: Record<string, unknown> = Object.fromEntries(
      Object.entries({ ...observation, text: { status: 'empty', div: '<div xmlns="http://www.w3.org/1999/xhtml">-</div>' } }).reverse(),
    );
    reshaped.meta = { versionId: '3', lastUpdated: '2030-01-01T00:00:00Z', security: [{ code: 'R' }] };
    expect((await verifyReceipt(reshaped, JSON.stringify(receipt), lookup)).valid).toBe(true);
  });

  it('accepts a copy without meta.versionId, or without meta at all', async () => {
    const { receipt, lookup } = fixture();
    expect((await verifyReceipt({ ...observation, meta: { lastUpdated: 'x' } }, receipt, lookup)).valid).toBe(true);
    const { meta: _meta, ...bare } = observation;
    expect((await verifyReceipt(bare, receipt, lookup)).valid).toBe(true);
  });

  it('fails `digest` for a change to any value of the resource outside text and meta', async () => {
    const { receipt, lookup } = fixture();
    const paths = leafPaths(observation);
    let mutated = 0;
    for (const path of paths) {
      if (path[0] === 'text' || path[0] === 'meta') continue;
      const changed = setAt(observation, path, perturb);
      const code: CheckCode = path[0] === 'resourceType' || path[0] === 'id' ? 'resource-identity' : 'digest';
      await expectFailure(changed, receipt, lookup, code);
      mutated++;
    }
    expect(mutated).toBe(25);
  });

  it('fails `digest` when an element is removed, added, reordered in an array or retyped', async () => {
    const { receipt, lookup } = fixture();
    for (const key of Object.keys(observation)) {
      if (['resourceType', 'id', 'text', 'meta'].includes(key)) continue;
      const { [key]: _removed, ...rest } = observation as Record<string, unknown>;
      await expectFailure(rest, receipt, lookup, 'digest');
    }
    await expectFailure({ ...observation, note: [{ text: 'added' }] }, receipt, lookup, 'digest');
    await expectFailure({ ...observation, component: [...observation.component].reverse() }, receipt, lookup, 'digest');
    const retyped = setAt(observation, ['component', 0, 'valueQuantity', 'value'], () => '120');
    await expectFailure(retyped, receipt, lookup, 'digest');
    // 80.5 and 80.50 are the same JSON number: not a change.
    expect((await verifyReceipt(JSON.parse(JSON.stringify(observation).replace('80.5', '80.50')), receipt, lookup)).valid).toBe(true);
  });

  it('fails `digest` for a resource that cannot be canonicalized', async () => {
    const { receipt, lookup } = fixture();
    const reason = await expectFailure({ ...observation, derived: Number.NaN }, receipt, lookup, 'digest');
    expect(reason).toMatch(/cannot be canonicalized.*Observation\.derived/);
  });

  it('fails `resource-identity` for another resource, version or a non-object', async () => {
    const { receipt, lookup } = fixture();
    expect(await expectFailure({ ...observation, id: 'bp-43' }, receipt, lookup, 'resource-identity')).toMatch(
      /Observation\/bp-43 but the receipt is for Observation\/bp-42\/_history\/3/,
    );
    await expectFailure({ ...observation, resourceType: 'Condition' }, receipt, lookup, 'resource-identity');
    await expectFailure({ ...observation, meta: { versionId: '4' } }, receipt, lookup, 'resource-identity');
    await expectFailure({ ...observation, meta: 'v3' }, receipt, lookup, 'resource-identity');
    await expectFailure(null, receipt, lookup, 'resource-identity');
    await expectFailure([observation], receipt, lookup, 'resource-identity');
  });

  // Expected check per receipt field for a well-formed change (`perturb`). Every field of the
  // receipt must be listed: the test fails when a field is added without deciding its check.
  const expectedByField: Record<string, CheckCode> = {
    format: 'format',
    canonicalization: 'canonicalization',
    'resource.type': 'resource-identity',
    'resource.id': 'resource-identity',
    'resource.versionId': 'resource-identity',
    digest: 'digest',
    salt: 'leaf',
    versionKey: 'leaf',
    leaf: 'leaf',
    leafIndex: 'inclusion',
    // Leaf 1 takes the same turns in a 6-leaf tree as in a 5-leaf one, so the path still
    // verifies; the chain's leafCount catches it.
    treeSize: 'anchor-size',
    'auditPath.0': 'inclusion',
    'auditPath.1': 'inclusion',
    'auditPath.2': 'inclusion',
    root: 'inclusion',
    // The parser reads only the ledger kinds it knows.
    'anchor.kind': 'format',
    'anchor.member': 'anchor-exists',
    'anchor.submitter': 'anchor-tx',
    // Sequence 8 exists on chain but holds another root.
    'anchor.sequence': 'anchor-root',
    'anchor.prevRoot': 'anchor-tx',
    'anchor.leafCount': 'anchor-size',
    // The receipt's registry and chain are claims compared with the pinned ones.
    'anchor.chainId': 'trust-contract',
    'anchor.contract': 'trust-contract',
    'anchor.txHash': 'anchor-tx',
    'anchor.blockNumber': 'anchor-tx',
    // Alone, the two block time fields contradict each other; changed together see below.
    'anchor.blockTime': 'format',
    'anchor.blockTimestamp': 'format',
  };

  it('fails with the expected check for a change to any field of the receipt', async () => {
    const { receipt, lookup } = fixture();
    const fields = leafPaths(receipt).map((p) => p.join('.'));
    expect(fields.sort()).toEqual(Object.keys(expectedByField).sort());
    for (const path of leafPaths(receipt)) {
      const changed = setAt(receipt, path, perturb);
      await expectFailure(observation, changed, lookup, expectedByField[path.join('.')]!);
    }
  });

  it('fails `anchor-tx` when the block time moves consistently in both fields', async () => {
    const { receipt, lookup } = fixture();
    const moved = structuredClone(receipt);
    moved.anchor.blockTimestamp += 1;
    moved.anchor.blockTime = isoFromUnixSeconds(moved.anchor.blockTimestamp);
    expect(await expectFailure(observation, moved, lookup, 'anchor-tx')).toMatch(/blockTimestamp \(chain 1738404000, receipt 1738404001\)/);
  });

  it('fails `anchor-exists` for a sequence the member never anchored', async () => {
    const { receipt, lookup } = fixture();
    await expectFailure(observation, { ...receipt, anchor: { ...receipt.anchor, sequence: '9' } }, lookup, 'anchor-exists');
  });

  it('fails `anchor-exists` when the lookup answers for another member or sequence', async () => {
    const { receipt, anchors } = fixture();
    await expectFailure(observation, receipt, async () => ({ ...anchors[0]!, member: memberIdOf('x') }), 'anchor-exists');
    await expectFailure(observation, receipt, async () => ({ ...anchors[0]!, sequence: 6n }), 'anchor-exists');
  });

  it('fails `leaf` for a changed versionId when the resource carries no versionId', async () => {
    const { receipt, lookup } = fixture();
    const { meta: _meta, ...bare } = observation;
    const changed = { ...receipt, resource: { ...receipt.resource, versionId: '4' } };
    await expectFailure(bare, changed, lookup, 'leaf');
  });

  it('fails `inclusion` for a path that is longer, shorter or reordered', async () => {
    const { receipt, lookup } = fixture();
    const path = receipt.auditPath;
    for (const auditPath of [[...path, path[0]!], path.slice(1), path.slice(0, -1), [path[1]!, path[0]!, path[2]!]]) {
      await expectFailure(observation, { ...receipt, auditPath }, lookup, 'inclusion');
    }
  });

  it('fails `format` for malformed receipts with a message naming the field', async () => {
    const { receipt, lookup } = fixture();
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /\$ is not valid JSON/],
      [[], /\$ must be a JSON object/],
      [{ ...receipt, extra: 1 }, /\$\.extra is not a receipt field/],
      [{ ...receipt, digest: receipt.digest.toUpperCase().replace('0X', '0x') }, /\$\.digest must be 0x followed by 64 lower-case/],
      [{ ...receipt, salt: receipt.salt.slice(2) }, /\$\.salt must be 0x/],
      [{ ...receipt, leafIndex: 5 }, /\$\.leafIndex must be an integer in 0\.\.4/],
      [{ ...receipt, anchor: { ...receipt.anchor, sequence: '07' } }, /\$\.anchor\.sequence must be a decimal uint64/],
      [{ ...receipt, anchor: { ...receipt.anchor, blockTime: '2025-02-01T10:00:00.000Z' } }, /\$\.anchor\.blockTime must be ISO 8601/],
    ];
    for (const [bad, message] of cases) expect(await expectFailure(observation, bad, lookup, 'format')).toMatch(message);
  });

  it('fails `member` when the membership check says so, and passes it when it agrees', async () => {
    const { receipt, lookup } = fixture();
    const refused = await verifyReceipt(observation, receipt, lookup, {
      memberCheck: async () => ({ ok: false, reason: 'not a HOSPITAL' }),
    });
    expect(refused).toMatchObject({ valid: false, failedCheck: 'member', reason: 'not a HOSPITAL' });
    const seen: AnchorRecord[] = [];
    const accepted = await verifyReceipt(observation, receipt, lookup, {
      memberCheck: async (anchor) => {
        seen.push(anchor);
        return { ok: true };
      },
    });
    expect(accepted.valid).toBe(true);
    expect(accepted.checks.at(-1)).toEqual({ name: 'member', passed: true });
    expect(seen.map((a) => a.sequence)).toEqual([7n]);
  });

  it('propagates lookup errors: an unreachable chain is "could not verify", not "invalid"', async () => {
    const { receipt } = fixture();
    await expect(
      verifyReceipt(observation, receipt, async () => {
        throw new Error('connect ECONNREFUSED');
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('never consults the chain before the offline checks pass', async () => {
    const { receipt } = fixture();
    let calls = 0;
    const counting: AnchorLookup = async () => {
      calls++;
      return null;
    };
    await verifyReceipt({ ...observation, status: 'amended' }, receipt, counting);
    expect(calls).toBe(0);
  });
});

describe('issueReceipt', () => {
  it('refuses to issue a receipt that would not verify', () => {
    const { receipt, anchors } = fixture();
    const salt = Buffer.from(receipt.salt.slice(2), 'hex');
    const digest = Buffer.from(receipt.digest.slice(2), 'hex');
    const leaves = [0, 1, 2].map((i) => sha256(`x${i}`));
    const tree = MerkleTree.build(leaves);
    const version = { type: 'Observation', id: 'bp-42', versionId: '3', digest, salt, leafIndex: 1 };
    expect(() => issueReceipt(version, tree, anchors[0]!)).toThrow(/leaf 1 of the batch is not Observation\/bp-42\/_history\/3/);
    const own = MerkleTree.build([leaves[0]!, leafHash(salt, versionKey('Observation', 'bp-42', '3'), digest)]);
    expect(() => issueReceipt(version, own, anchors[0]!)).toThrow(/is not this batch/);
  });
});
