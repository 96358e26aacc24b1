// careledger token: prints a fresh bearer token for the dev client of $DATA_DIR.

import { refreshDevToken } from '../../auth/dev-client.js';

export async function run(): Promise<number> {
  const token = await refreshDevToken(process.env.DATA_DIR ?? './data');
  console.log(token.accessToken);
  return 0;
}
