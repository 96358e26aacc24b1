// The backend clients (EHRs, integration engines) allowed to ask this node for access tokens,
// kept in a ClientStore. A client is its id, a display name, the public keys it signs token
// requests with and the scopes it may be granted; nothing is stored before all of it validates.

import { randomUUID } from 'node:crypto';
import { ClientRegistrationError, validateClientJwks } from './client-jwks.js';
import type { ClientStore, RegisteredClient } from './ports.js';
import { parseGrantableScope } from './smart-scopes.js';

export interface ClientRegistration {
  /** Defaults to a random UUID. */
  clientId?: string;
  name: string;
  /** A JWK Set of public keys: RSA for RS384 or P-384 EC for ES384, each with a unique kid. */
  jwks: unknown;
  /** The most the client may be granted, e.g. `["system/*.rs"]` or `["system/Patient.read"]`. */
  scopes: string[];
}

export interface RegisterOptions {
  /** Replace an existing registration (key rotation, scope change) and re-enable it. */
  replace?: boolean;
}

const CLIENT_ID = /^[A-Za-z0-9._~:-]{1,128}$/;

export class ClientRegistry {
  constructor(
    private readonly clients: ClientStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Validates and stores a client. Rejects with ClientRegistrationError and a one-line reason. */
  async registerClient(registration: ClientRegistration, options: RegisterOptions = {}): Promise<RegisteredClient> {
    const clientId = registration.clientId ?? randomUUID();
    if (!CLIENT_ID.test(clientId)) {
      throw new ClientRegistrationError('clientId must be 1-128 characters of A-Z a-z 0-9 . _ ~ : -');
    }
    const name = registration.name.trim();
    if (name.length === 0) throw new ClientRegistrationError('name must not be empty');
    const client = { clientId, name, jwks: validateClientJwks(registration.jwks), scopes: validateAllowedScopes(registration.scopes) };
    const at = new Date(this.now()).toISOString();
    // Replacing revokes the tokens minted under the old registration: new keys or narrower scopes
    // must not leave them alive.
    if (options.replace) await this.clients.replace(client, at);
    else if (!(await this.clients.add(client, at))) {
      throw new ClientRegistrationError(`client ${clientId} is already registered (use replace to rotate its keys)`);
    }
    return (await this.clients.get(clientId)) as RegisteredClient;
  }

  getClient(clientId: string): Promise<RegisteredClient | undefined> {
    return this.clients.get(clientId);
  }

  listClients(): Promise<RegisteredClient[]> {
    return this.clients.list();
  }

  /** Disables the client and revokes its live access tokens. False if no such client. */
  disableClient(clientId: string): Promise<boolean> {
    return this.clients.disable(clientId, new Date(this.now()).toISOString());
  }
}

function validateAllowedScopes(scopes: string[]): string[] {
  if (scopes.length === 0) throw new ClientRegistrationError('scopes must name at least one scope');
  for (const scope of scopes) {
    const parsed = parseGrantableScope(scope);
    if (!parsed) {
      throw new ClientRegistrationError(
        `scope "${scope}" is not supported: use system/<Type|*>.<cruds subset> or system/<Type|*>.<read|write|*>, without a ?query`,
      );
    }
  }
  return [...new Set(scopes)];
}
