// Any FHIR request that waits on a chain that does not answer (hung: the client's deadline fires;
// down: the connection is refused) is a 504 with Retry-After, never a 500; other chain failures
// are still unexpected.

import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createEvmProvider } from '../ledger/evm/provider.js';
import { errorOutcome } from './error-outcome.js';

const context = { bodyLimit: 1024 };

async function chainFailure(rpcUrl: string): Promise<unknown> {
  const provider = createEvmProvider({ rpcUrl, chainId: 1337, requestTimeoutMs: 300 });
  try {
    await provider.send('eth_blockNumber', []);
    throw new Error('the chain answered');
  } catch (error) {
    return error;
  } finally {
    provider.destroy();
  }
}

describe('chain failures as FHIR outcomes', () => {
  it('answers 504 with Retry-After when the chain accepts and never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    const mapped = errorOutcome(await chainFailure(`http://127.0.0.1:${port}`), context);
    silent.close();
    expect(mapped).toMatchObject({ status: 504, unexpected: false, retryAfterSeconds: 10 });
    expect(mapped.outcome.issue[0]).toMatchObject({ severity: 'error', code: 'timeout' });
  });

  it('answers 504 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(errorOutcome(await chainFailure(`http://127.0.0.1:${port}`), context)).toMatchObject({ status: 504, retryAfterSeconds: 10 });
  });

  it('keeps a revert or a bug a 500', () => {
    expect(errorOutcome(Object.assign(new Error('execution reverted'), { code: 'CALL_EXCEPTION' }), context)).toMatchObject({ status: 500, unexpected: true });
    expect(errorOutcome(new TypeError('x is undefined'), context)).toMatchObject({ status: 500, unexpected: true });
  });
});
