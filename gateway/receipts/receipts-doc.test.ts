// Keeps docs/receipts.md honest: its worked example is recomputed here from the code, so the
// numbers a payer copies into their own verifier's tests are the numbers the node produces.
import { readFileSync } from 'node:fs';
import { id as eventTopic } from 'ethers';
import { describe, expect, it } from 'vitest';
import { CANONICALIZATION_ID, canonicalizeResource } from '../crypto/canonical.js';
import { leafHash, memberIdOf, nodeHash, sha256, versionKey, versionReference } from '../crypto/digest.js';
import { MerkleTree } from '../crypto/merkle.js';
import type { AnchorRecord, Hex } from '../ledger/ports.js';
import { anchorRegistryInterface, consortiumRegistryInterface } from '../ledger/evm/contracts.js';
import { MEMBERSHIP_EVENTS } from '../ledger/evm/verifier-reader.js';
import { parseReceipt } from './format.js';
import { issueReceipt } from './issue.js';
import { TRUST_FORMAT, parseTrustFile } from './trust-file.js';
import { CHECK_CODES, verifyReceipt } from './verify.js';

const doc = readFileSync(new URL('../../docs/receipts.md', import.meta.url), 'utf8');

/** The fenced block that follows `<!-- name -->`. */
function block(name: string): string {
  const match = new RegExp(`<!-- ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (match === null) throw new Error(`docs/receipts.md has no block ${name}`);
  return match[1]!;
}

function values(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of block('example-values').split('\n')) {
    const [name, value] = line.split(/\s+=\s+/);
    out.set(name!.trim(), value!.trim());
  }
  return out;
}

const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;

describe('docs/receipts.md worked example', () => {
  const resource = JSON.parse(block('example-resource')) as Record<string, unknown>;
  const canonical = canonicalizeResource(resource);
  const salt = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const digest = sha256(canonical);
  const key = versionKey('Observation', 'hr-1', '1');
  const leaf = leafHash(salt, key, digest);
  const leaves = [sha256('other leaf 0'), leaf, sha256('other leaf 2')];
  const tree = MerkleTree.build(leaves);

  it('shows the canonical bytes the code produces', () => {
    expect(block('example-canonical')).toBe(canonical.toString('utf8'));
    expect(doc).toContain(`UTF-8, ${canonical.length} bytes`);
  });

  it('shows the hashes the code produces', () => {
    const v = values();
    expect(v.get('versionKey input')).toBe(versionReference('Observation', 'hr-1', '1'));
    expect(v.get('digest')).toBe(hex(digest));
    expect(v.get('versionKey')).toBe(hex(key));
    expect(v.get('salt')).toBe(hex(salt));
    expect(v.get('leaf[1]')).toBe(hex(leaf));
    expect(v.get('leaf[0]')).toBe(hex(leaves[0]!));
    expect(v.get('leaf[2]')).toBe(hex(leaves[2]!));
    expect(v.get('node(leaf0,leaf1)')).toBe(hex(nodeHash(leaves[0]!, leaf)));
    expect(v.get('root')).toBe(hex(tree.root));
    expect(v.get('root')).toBe(hex(nodeHash(nodeHash(leaves[0]!, leaf), leaves[2]!)));
    expect(v.get('member id')).toBe(memberIdOf('hospital-a'));
    expect(v.size).toBe(10);
  });

  it('shows the receipt the code issues, and it verifies against the resource', async () => {
    const shown = parseReceipt(block('example-receipt'));
    const anchor: AnchorRecord = {
      member: memberIdOf('hospital-a'),
      submitter: shown.anchor.submitter,
      sequence: 7n,
      root: hex(tree.root),
      leafCount: 3,
      prevRoot: shown.anchor.prevRoot,
      txHash: shown.anchor.txHash,
      blockNumber: shown.anchor.blockNumber,
      blockTime: shown.anchor.blockTimestamp,
      chainId: shown.anchor.chainId,
      contract: shown.anchor.contract,
    };
    expect(shown).toEqual(issueReceipt({ type: 'Observation', id: 'hr-1', versionId: '1', digest, salt, leafIndex: 1 }, tree, anchor));
    const result = await verifyReceipt(resource, shown, async (member, sequence) =>
      member === anchor.member && sequence === anchor.sequence ? anchor : null,
    );
    expect(result.valid).toBe(true);
  });

  it('names the canonicalization id, every check code and the event topic', () => {
    expect(doc).toContain(CANONICALIZATION_ID);
    for (const code of CHECK_CODES) expect(doc).toContain(`| \`${code}\` |`);
    expect(doc).toContain(eventTopic('Anchored(bytes32,uint64,bytes32,uint32,bytes32,address)'));
    expect(doc).toContain(eventTopic('getAnchor(bytes32,uint64)').slice(0, 10));
  });

  // The calls a verifier makes (section 4.2), from the ABI the node uses, so a payer writing
  // their own verifier copies selectors, return tuples and topics that are the contracts' own.
  it('gives the selector and exact return tuple of every call, and the signature and topic of every event', () => {
    const calls = [
      anchorRegistryInterface.getFunction('consortium')!,
      anchorRegistryInterface.getFunction('getAnchor')!,
      anchorRegistryInterface.getFunction('latestSequence')!,
      consortiumRegistryInterface.getFunction('getMember')!,
    ];
    for (const call of calls) {
      expect(doc).toContain(call.selector);
      const [output] = call.outputs.map((o) => o.format('full'));
      expect(doc).toContain(output!.startsWith('(') ? output : `(${output})`);
      const inputs = call.inputs.map((i) => i.format('full')).join(', ');
      expect(doc).toContain(`${call.name}(${inputs})`);
    }
    const events = [anchorRegistryInterface.getEvent('Anchored')!, ...MEMBERSHIP_EVENTS.map((name) => consortiumRegistryInterface.getEvent(name)!)];
    for (const event of events) {
      expect(doc).toContain(event.topicHash);
      expect(doc.replace(/\s+/g, ' ')).toContain(event.format('full').replace(/^event /, ''));
    }
    expect(doc).toContain(consortiumRegistryInterface.getError('ConsortiumRegistryUnknownMember')!.selector);
  });

  it('shows the trust file with exactly the members the parser takes', () => {
    const filled = block('trust-file').replace('"genesisHash": "0x…"', `"genesisHash": "0x${'0'.repeat(64)}"`).replaceAll('0x…', `0x${'0'.repeat(40)}`);
    const shown = JSON.parse(filled) as Record<string, unknown>;
    expect(parseTrustFile(shown).format).toBe(TRUST_FORMAT);
    for (const key of Object.keys(shown)) expect(doc).toContain(`| \`${key}\` |`);
  });
});
