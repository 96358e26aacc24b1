import { afterAll, describe, expect, it } from 'vitest';
import { R4ValidationPool } from './r4-validation-pool.js';

const valid = { resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01' };
const invalid = { resourceType: 'Patient', id: 'p2', birthDate: '1970-13-01', nickname: 'x' };
const errors = (issues: Array<{ severity?: string; expression?: string[] }>) =>
  issues.filter((issue) => issue.severity === 'error').map((issue) => issue.expression?.[0]);

describe('R4ValidationPool', () => {
  const inWorkers = new R4ValidationPool(1);
  const onThisThread = new R4ValidationPool(0);
  afterAll(async () => {
    await inWorkers.close();
    await onThisThread.close();
  });

  it('reports the same issues from a worker thread and on the calling thread (size 0)', async () => {
    await inWorkers.ready();
    const [workerValid, workerInvalid, localValid, localInvalid] = await Promise.all([
      inWorkers.validate(valid),
      inWorkers.validate(invalid),
      onThisThread.validate(valid),
      onThisThread.validate(invalid),
    ]);
    expect(errors(workerValid)).toEqual([]);
    expect(errors(localValid)).toEqual([]);
    expect(errors(workerInvalid).length).toBeGreaterThanOrEqual(2);
    expect(localInvalid).toEqual(workerInvalid);
  }, 60_000);

  it('rejects a resource it cannot send to a worker without failing the others sent with it, and keeps working', async () => {
    await inWorkers.ready();
    let deep: Record<string, unknown> = { value: 1 };
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const tooDeep = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, extension: [deep] };
    const [refused, accepted] = await Promise.allSettled([inWorkers.validate(tooDeep), inWorkers.validate(valid)]);
    expect(refused.status).toBe('rejected');
    expect(((refused as PromiseRejectedResult).reason as Error).message).toMatch(/cannot be validated/);
    expect(accepted.status).toBe('fulfilled');
    expect(errors(await inWorkers.validate(invalid)).length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
