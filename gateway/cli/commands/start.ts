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
  const node = await startNode(loadConfig());
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
