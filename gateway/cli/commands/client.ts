// careledger client register|list|disable: hospital IT registers its EHR (or any backend
// service) as a SMART Backend Services client. Works on the node's database directly, so run
// it on the node's host with the same DATA_DIR.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientRegistry } from '../../auth/client-registry.js';
import { loadConfig } from '../../config.js';
import { SqliteClientStore } from '../../store/client-store.js';
import { openDatabase } from '../../store/database.js';

const HELP = `usage:
  careledger client register --name NAME --jwks FILE --scope "system/*.rs system/Patient.cruds" [--id CLIENT_ID] [--replace]
  careledger client list
  careledger client disable CLIENT_ID

The JWKS file holds the client's PUBLIC keys (RS384 or ES384, each with a kid). Uses $DATA_DIR.`;

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      jwks: { type: 'string' },
      scope: { type: 'string' },
      id: { type: 'string' },
      replace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (!action || values.help) {
    console.log(HELP);
    return action ? 0 : 2;
  }
  const db = openDatabase(join(loadConfig().dataDir, 'careledger.db'));
  try {
    const registry = new ClientRegistry(new SqliteClientStore(db));
    switch (action) {
      case 'register': {
        if (!values.name || !values.jwks || !values.scope) throw new Error('register needs --name, --jwks and --scope');
        const client = await registry.registerClient(
          { clientId: values.id, name: values.name, jwks: JSON.parse(readFileSync(values.jwks, 'utf8')), scopes: values.scope.split(/\s+/) },
          { replace: values.replace },
        );
        console.log(`registered ${client.clientId} (${client.scopes.join(' ')})`);
        return 0;
      }
      case 'list':
        for (const client of await registry.listClients()) {
          console.log(`${client.clientId}\t${client.enabled ? 'enabled' : 'disabled'}\t${client.name}\t${client.scopes.join(' ')}`);
        }
        return 0;
      case 'disable': {
        const id = positionals[0];
        if (!id) throw new Error('disable needs a CLIENT_ID');
        await registry.disableClient(id);
        console.log(`disabled ${id}; its tokens are revoked`);
        return 0;
      }
      default:
        console.error(`careledger client: unknown action "${action}"\n${HELP}`);
        return 2;
    }
  } finally {
    db.close();
  }
}
