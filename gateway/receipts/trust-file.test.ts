import { describe, expect, it } from 'vitest';
import { TRUST_FORMAT, TrustFileError, parseTrustFile, serializeTrustFile, trustFingerprint, type TrustFile } from './trust-file.js';

const trust: TrustFile = {
  format: TRUST_FORMAT,
  ledger: 'evm',
  chainId: 1337,
  genesisHash: `0x${'1a'.repeat(32)}`,
  contracts: {
    ConsortiumRegistry: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
    AnchorRegistry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
    ConsentRegistry: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
  },
  membershipFromBlock: 1,
};

describe('trust file', () => {
  it('round-trips through its serialization', () => {
    expect(parseTrustFile(serializeTrustFile(trust))).toEqual(trust);
    expect(parseTrustFile({ ...trust, consortium: 'North Health' })).toEqual({ ...trust, consortium: 'North Health' });
  });

  it('has a fingerprint independent of layout and member order, and dependent on every value', () => {
    const fingerprint = trustFingerprint(trust);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(trust).reverse())));
    expect(trustFingerprint(parseTrustFile(JSON.stringify(reordered, null, 7)))).toBe(fingerprint);
    const variants: TrustFile[] = [
      { ...trust, chainId: 1338 },
      { ...trust, genesisHash: `0x${'1b'.repeat(32)}` },
      { ...trust, contracts: { ...trust.contracts, AnchorRegistry: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0513' } },
      { ...trust, membershipFromBlock: 2 },
      { ...trust, consortium: 'North Health' },
    ];
    for (const variant of variants) expect(trustFingerprint(variant)).not.toBe(fingerprint);
  });

  it.each([
    ['not JSON', '{', /\$ is not valid JSON/],
    ['another format', { ...trust, format: 'careledger-trust/2' }, /\$\.format must be "careledger-trust\/1"/],
    ['another ledger', { ...trust, ledger: 'fabric' }, /\$\.ledger must be "evm"/],
    ['an unknown field', { ...trust, rpcUrl: 'http://x' }, /\$\.rpcUrl is not a trust file field/],
    ['chain id 0', { ...trust, chainId: 0 }, /\$\.chainId must be an integer >= 1/],
    ['a short genesis hash', { ...trust, genesisHash: '0x1a' }, /\$\.genesisHash must be 0x followed by 64/],
    ['no AnchorRegistry', { ...trust, contracts: { ConsortiumRegistry: trust.contracts.ConsortiumRegistry } }, /\$\.contracts\.AnchorRegistry is missing/],
    ['a checksummed address', { ...trust, contracts: { ...trust.contracts, AnchorRegistry: '0xE7f1725E7734CE288F8367e1Bb143E90bb3F0512' } }, /\$\.contracts\.AnchorRegistry must be 0x followed by 40 lower-case/],
    ['a negative start block', { ...trust, membershipFromBlock: -1 }, /\$\.membershipFromBlock must be an integer >= 0/],
    ['an empty consortium label', { ...trust, consortium: '' }, /\$\.consortium must be a non-empty string/],
  ])('refuses %s, naming the field', (_label, value, message) => {
    expect(() => parseTrustFile(value)).toThrow(TrustFileError);
    expect(() => parseTrustFile(value)).toThrow(message);
  });
});
