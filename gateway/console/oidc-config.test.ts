// CONSOLE_OIDC_* as the node reads them: both or neither, https (http only on loopback), openid
// among the scopes, a claim path for the roles; anything else stops the start with a sentence.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

const issuer = 'https://login.hospital.example/realms/staff';

describe('console OpenID Connect settings', () => {
  it('is off unless configured, with defaults for scopes and the role claim when on', () => {
    expect(loadConfig({}).console?.oidc).toBeNull();
    expect(loadConfig({ CONSOLE_OIDC_ISSUER: issuer, CONSOLE_OIDC_CLIENT_ID: 'careledger-console' }).console?.oidc).toEqual({
      issuer,
      clientId: 'careledger-console',
      scopes: 'openid profile',
      roleClaim: 'groups',
    });
    const keycloak = loadConfig({ CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:8081', CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_SCOPES: 'openid email', CONSOLE_OIDC_ROLE_CLAIM: 'realm_access.roles' });
    expect(keycloak.console?.oidc).toMatchObject({ scopes: 'openid email', roleClaim: 'realm_access.roles' });
  });

  it.each([
    [{ CONSOLE_OIDC_ISSUER: issuer }, 'go together'],
    [{ CONSOLE_OIDC_CLIENT_ID: 'c' }, 'go together'],
    [{ CONSOLE_OIDC_ISSUER: 'login.hospital.example', CONSOLE_OIDC_CLIENT_ID: 'c' }, "provider's issuer URL"],
    [{ CONSOLE_OIDC_ISSUER: 'http://login.hospital.example', CONSOLE_OIDC_CLIENT_ID: 'c' }, 'https URL (http only on loopback)'],
    [{ CONSOLE_OIDC_ISSUER: issuer, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_SCOPES: 'profile' }, 'must include openid'],
    [{ CONSOLE_OIDC_ISSUER: issuer, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_ROLE_CLAIM: 'roles..x' }, 'dotted path'],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
