// The /cohort API of one in-process hospital node on its own embedded chain (the node is the
// bootstrap HOSPITAL member): commit, eligibility proof, on-chain acceptance once, and refusals.
// Cohort answers across hospitals are covered by test/cohort-e2e.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../test/support/test-node.js';

const T2DM = { system: 'http://snomed.info/sct', code: '44054006' };
const TRIAL = [{ field: 'hba1c', op: 'gte', value: 6.5 }, { hasAnyDiagnosis: [T2DM] }];

describe('/cohort on a hospital node', () => {
  let node: TestNode;
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await node.app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${node.token}` } });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };

  beforeAll(async () => {
    node = await startTestNode();
    const put = async (resource: { resourceType: string; id: string }) => {
      const response = await node.app.inject({
        method: 'PUT',
        url: `/fhir/${resource.resourceType}/${resource.id}`,
        payload: resource,
        headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/fhir+json' },
      });
      expect(response.statusCode, response.body).toBeLessThan(300);
    };
    await put({ resourceType: 'Patient', id: 'pa', gender: 'female', birthDate: '1961-02-03' } as never);
    await put({ resourceType: 'Patient', id: 'pb', gender: 'male', birthDate: '1970-09-09' } as never);
    await put({
      resourceType: 'Condition',
      id: 'ca',
      subject: { reference: 'Patient/pa' },
      code: { coding: [T2DM] },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    } as never);
    await put({
      resourceType: 'Observation',
      id: 'oa',
      status: 'final',
      subject: { reference: 'Patient/pa' },
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      effectiveDateTime: '2024-05-01',
      valueQuantity: { value: 7.4, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    } as never);
  }, 60_000);

  afterAll(async () => node?.dispose());

  it('commits its records once per change of data', async () => {
    const first = await call('POST', '/cohort/commit');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ epoch: '1', recordCount: 2, chunks: 1 });
    expect(first.body.txHash).toMatch(/^0x/);
    const again = await call('POST', '/cohort/commit');
    expect(again.body).toMatchObject({ epoch: '1', txHash: null, root: first.body.root });
  });

  it('refuses research actions the member has no role for, and unknown queries', async () => {
    const posted = await call('POST', '/cohort/queries', { criteria: TRIAL });
    expect(posted.status).toBe(403);
    expect((await call('GET', '/cohort/queries/999')).status).toBe(404);
    const unauthenticated = await node.app.inject({ method: 'GET', url: '/cohort/queries/1' });
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('proves a patient eligible, accepts the proof on chain once, and refuses the reused nullifier', async () => {
    expect((await call('POST', '/cohort/trials', { trial: 'NCT-T1', criteria: TRIAL })).status).toBe(201);
    expect((await call('POST', '/cohort/trials', { trial: 'NCT-T1', criteria: TRIAL })).status).toBe(409);
    const proof = await call('POST', '/cohort/eligibility/proofs', { patient: 'pa', trial: 'NCT-T1', criteria: TRIAL });
    expect(proof.status, JSON.stringify(proof.body)).toBe(200);
    expect(JSON.stringify(proof.body)).not.toContain('"pa"');
    const accepted = await call('POST', '/cohort/eligibility/verify', proof.body);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ accepted: true, nullifier: proof.body.nullifier });
    expect((await call('POST', '/cohort/eligibility/verify', proof.body)).status).toBe(409);
    expect((await call('POST', '/cohort/eligibility/proofs', { patient: 'pb', trial: 'NCT-T1', criteria: TRIAL })).status).toBe(400);
    expect((await call('POST', '/cohort/eligibility/proofs', { patient: 'nobody', trial: 'NCT-T1', criteria: TRIAL })).status).toBe(404);
  }, 60_000);
});
