// What a console request signed in with the hospital's OpenID Connect provider costs the node, per
// request, against the node's own opaque token (baseline), both through fastify (inject) with the
// auth plugin and a scope check, measured in the same run. The provider is the local test issuer
// over real HTTP; its JWKS is fetched once and then cached, as in production.
import fastify from 'fastify';
import { authPlugin } from '../../gateway/auth/auth-plugin.js';
import { requireFhirAccess } from '../../gateway/auth/fhir-access.js';
import { createOidcTokenVerifier } from '../../gateway/auth/oidc-token-verifier.js';
import { openAuthStores } from '../../gateway/store/auth-stores.js';
import { assertionFor, makeKey, postToken, PUBLIC_BASE_URL, tempDatabase, TestClock, tokenForm } from '../support/auth-fixture.js';
import { startTestIssuer } from '../support/oidc-issuer.js';

export interface OidcBearerResult {
  requests: number;
  opaqueP50Us: number;
  opaqueP95Us: number;
  rs256P50Us: number;
  rs256P95Us: number;
  es256P50Us: number;
  es256P95Us: number;
}

export async function benchOidcBearer(requests = 2000): Promise<OidcBearerResult> {
  const issuer = await startTestIssuer();
  const temp = tempDatabase();
  const db = temp.open();
  const app = fastify();
  try {
    await app.register(authPlugin, {
      stores: openAuthStores(db),
      publicBaseUrl: PUBLIC_BASE_URL,
      oidc: createOidcTokenVerifier({ issuer: issuer.issuer, clientId: issuer.clientId }),
    });
    app.get('/fhir/Patient', async (request) => requireFhirAccess(request, 'Patient', 'search').clientId);
    await app.ready();
    const key = makeKey('ES384', 'ec-1');
    await app.smartAuth.registry.registerClient({ clientId: 'ehr', name: 'EHR', jwks: { keys: [key.publicJwk] }, scopes: ['system/*.rs'] });
    const { body } = await postToken(app, tokenForm(await assertionFor(key, 'ehr', new TestClock(Date.now())), 'system/*.rs'));
    const staff = { sub: 'staff-1', groups: ['careledger-staff'] };
    const tokens = {
      opaque: body.access_token as string,
      rs256: await issuer.sign(staff, { expiresInSeconds: 3600 }),
      es256: await issuer.sign(staff, { alg: 'ES256', expiresInSeconds: 3600 }),
    };
    const time = async (token: string): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < requests; i++) {
        const start = process.hrtime.bigint();
        const response = await app.inject({ method: 'GET', url: '/fhir/Patient', headers: { authorization: `Bearer ${token}` } });
        samples.push(Number(process.hrtime.bigint() - start) / 1000);
        if (response.statusCode !== 200) throw new Error(`bench request refused: ${response.statusCode} ${response.body}`);
      }
      return samples;
    };
    // One warm-up round each (JIT, the JWKS fetch), then the measured rounds, interleaved.
    for (const token of Object.values(tokens)) await time(token);
    const opaque = await time(tokens.opaque);
    const rs256 = await time(tokens.rs256);
    const es256 = await time(tokens.es256);
    return {
      requests,
      opaqueP50Us: percentile(opaque, 50),
      opaqueP95Us: percentile(opaque, 95),
      rs256P50Us: percentile(rs256, 50),
      rs256P95Us: percentile(rs256, 95),
      es256P50Us: percentile(es256, 50),
      es256P95Us: percentile(es256, 95),
    };
  } finally {
    await app.close();
    db.close();
    temp.remove();
    await issuer.close();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
}
