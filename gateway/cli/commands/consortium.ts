// careledger consortium --hospitals N: one embedded chain and N hospital nodes, until Ctrl-C.

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startConsortium } from '../../../network/local-consortium.js';

const HELP = `usage: careledger consortium [--hospitals 3] [--base-port 8081] [--data DIR]

Starts one embedded chain and N hospital nodes (hospital-1..N on base-port..), each a registered
consortium member with its own data directory under DIR (default $DATA_DIR/consortium), plus a
researcher member's key, a licensing board's (LICENSING: practitioner licences) and a payer's
(PAYER). Writes DIR/consortium.json; each node's dev.json is in its directory.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hospitals: { type: 'string', default: '3' },
      'base-port': { type: 'string', default: '8081' },
      data: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dataDir = values.data ?? join(process.env.DATA_DIR ?? './data', 'consortium');
  const consortium = await startConsortium({
    hospitals: Number(values.hospitals),
    basePort: Number(values['base-port']),
    dataDir,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    onOutput: (orgId, line) => console.error(`[${orgId}] ${line}`),
  });
  console.log(`chain ${consortium.chainId} at ${consortium.rpcUrl}`);
  for (const hospital of consortium.hospitals) {
    console.log(`${hospital.orgId}  ${hospital.fhirBase}  member ${hospital.memberId}  dev.json in ${hospital.dataDir}`);
  }
  for (const member of [consortium.researcher, consortium.licensingBoard, consortium.payer]) {
    console.log(`${member.orgId}  ${member.roles.join(',')}  member ${member.memberId}  key in ${member.dataDir} (no node; DATA_DIR for its commands)`);
  }
  console.log(`${join(dataDir, 'consortium.json')} describes the consortium; Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await consortium.stop();
  return 0;
}
