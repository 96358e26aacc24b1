// careledger start: runs one node until SIGINT/SIGTERM, then drains anchoring and exits.

import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.js';
import { startNode } from '../../node.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('usage: careledger start\n\nConfigured by environment variables; see README.md "Configuration".');
    return 0;
  }
  const config = loadConfig();
  if (config.dev) {
    // On stderr and before anything else, so it is seen whatever the log level.
    console.error('*** DEV MODE: generated keys, a dev client and a dev chain. NOT FOR REAL PATIENT DATA. ***');
  }
  const node = await startNode(config);
  if (node.chain.embedded && !node.chain.embedded.isolated) {
    console.error(
      '*** The embedded dev chain could not be isolated (no network namespaces here): any local process can use its cheat methods. ***',
    );
  }
  node.app.log.info(
    { fhirBase: node.fhirBase, devFile: node.devFile, chainId: node.chain.descriptor.chainId, rpcUrl: node.chain.descriptor.rpcUrl },
    node.devFile ? `careledger is up at ${node.fhirBase}; dev client and token in ${node.devFile}` : `careledger is up at ${node.fhirBase}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  node.app.log.info('shutting down');
  await node.close();
  return 0;
}
