import { describe, expect, it } from 'vitest';
import { benchTelehealthChain } from './telehealth-chain.bench.js';

describe('benchTelehealthChain', () => {
  it('runs consults through the registry and the every-change-on-chain baseline, and reports both', async () => {
    const result = await benchTelehealthChain({ consults: 2 });
    console.log(`telehealth chain bench (2 consults): ${JSON.stringify(result)}`);
    expect(result.registryTxPerConsult).toBe(5);
    expect(result.baselineTxPerConsult).toBe(15);
    // The baseline makes the same five registry calls and then some.
    expect(result.baselineGasPerConsult).toBeGreaterThan(result.registryGasPerConsult);
    expect(Object.keys(result.gasByFunction).sort()).toEqual(
      ['LicenceRegistry.issue', 'LicenceRegistry.revoke', 'closeSession', 'escalate', 'invite', 'openSession', 'withdrawInvitation'].sort(),
    );
    for (const gas of Object.values(result.gasByFunction)) expect(gas).toBeGreaterThan(21_000);
  }, 60_000);
});
