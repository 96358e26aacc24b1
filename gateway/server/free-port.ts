// A port nobody listens on right now, for servers that must know their own URL before they
// listen (the node's public URL and token audiences, the embedded chain's relay, test servers).
// Another process may take it in between; callers that care retry or bind it at once.

import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error(`no port was assigned on ${host}`))));
    });
  });
}
