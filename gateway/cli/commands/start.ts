// careledger start: runs one node until SIGINT/SIGTERM, then drains anchoring and exits. What a
// newcomer sees first: a short banner (where the console, the FHIR API, the token and the chain
// are), readable logs on a terminal and JSON lines otherwise.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TOKEN_PATH } from '../../auth/smart-auth-service.js';
import { loadConfig } from '../../config.js';
import { consoleBundleStale } from '../../console/console-bundle.js';
import { startNode, type RunningNode } from '../../node.js';

const CONSOLE_BUILD_SCRIPT = fileURLToPath(new URL('../../console/build.ts', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('usage: careledger start\n\nConfigured by environment variables; see README.md "Configuration".');
    return 0;
  }
  const config = { ...loadConfig(), prettyLogs: process.stdout.isTTY === true };
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
  const building = buildConsoleIfStale();
  console.log(banner(node, building));
  node.app.log.debug({ fhirBase: node.fhirBase, devFile: node.devFile, chainId: node.chain.descriptor.chainId, rpcUrl: node.chain.descriptor.rpcUrl }, 'careledger is up');
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

/**
 * A fresh clone has no console bundle and an edited one a stale one: vite builds it in a child
 * process (its bundling would stall this node's event loop for seconds) while the node already
 * serves the API; /console says it is being built until then. Returns why it builds, or null.
 */
function buildConsoleIfStale(): string | null {
  const reason = consoleBundleStale();
  if (reason === null) return null;
  const child = spawn(process.execPath, ['--import', 'tsx', CONSOLE_BUILD_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
  child.once('exit', (code) => {
    if (code !== 0) console.error(`careledger: building the console failed (exit ${code}); run npm run build:console to see why`);
  });
  return reason;
}

function banner(node: RunningNode, consoleBuilding: string | null): string {
  const { config, chain } = node;
  const chainLine = chain.embedded
    ? `embedded dev chain (anvil), chain id ${chain.descriptor.chainId}, RPC ${chain.descriptor.rpcUrl}`
    : `${chain.descriptor.kind} chain ${chain.descriptor.chainId} at ${chain.descriptor.rpcUrl}`;
  const lines = [
    '',
    `  careledger ${config.orgId} is running${config.dev ? ' in DEV MODE' : ''}`,
    '',
    `  Console   ${config.publicUrl}/console/${consoleBuilding ? `  (building: ${consoleBuilding}; ready in a few seconds)` : ''}`,
    `  FHIR R5   ${node.fhirBase}   (R4 at ${config.publicUrl}/fhir/R4)`,
    node.devFile ? `  Token     ${node.devFile}  (renew: DATA_DIR=${config.dataDir} npx careledger token)` : `  Token     from your SMART backend client (${config.publicUrl}${TOKEN_PATH})`,
    `  Chain     ${chainLine}`,
    `  Health    ${config.publicUrl}/health   Metrics ${config.publicUrl}/metrics`,
  ];
  if (config.dev) lines.push('', '  Dev mode: generated keys, a dev client and a dev chain. Not for real patient data.');
  lines.push('  Stop with Ctrl+C.', '');
  return lines.join('\n');
}
