// careledger: the node's command line. Each command lives in its own file under commands/ and
// returns an exit code; errors print one clear line and exit non-zero.

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  start: { summary: 'run the node (embedded dev chain unless CHAIN_RPC_URL is set)', load: () => import('./commands/start.js') },
  import: { summary: 'import NDJSON files or folders into a node', load: () => import('./commands/import.js') },
  sync: { summary: 'pull from an EHR (Bulk Data export, or one REST round) into the stopped node of $DATA_DIR', load: () => import('./commands/sync.js') },
  verify: { summary: 'verify a resource against its receipt and the chain', load: () => import('./commands/verify.js') },
  claim: { summary: "write a claim's evidence Bundle to a file (a payer from a hospital node, or a hospital offline)", load: () => import('./commands/claim-evidence.js') },
  'verify-claim': { summary: "verify a claim's evidence bundle against the pinned chain: receipts, dates, licences, coverage, duplicates", load: () => import('./commands/verify-claim.js') },
  'claims-key': { summary: "create, install or show the consortium's claims key (claim-line fingerprints)", load: () => import('./commands/claims-key.js') },
  trust: { summary: "export the consortium trust file (chain, registries) or show a trust file's fingerprint", load: () => import('./commands/trust.js') },
  consortium: { summary: 'run a local consortium: one chain, N hospital nodes', load: () => import('./commands/consortium.js') },
  token: { summary: 'print a fresh bearer token for the dev client of $DATA_DIR', load: () => import('./commands/token.js') },
  client: { summary: 'register or disable an EHR client (SMART Backend Services)', load: () => import('./commands/client.js') },
  cohort: { summary: 'post a zero-knowledge cohort query and verify the answers (researcher)', load: () => import('./commands/cohort.js') },
  'prove-eligibility': { summary: "prove a patient meets a trial's criteria, revealing nothing else", load: () => import('./commands/prove-eligibility.js') },
  'verify-eligibility': { summary: 'verify an eligibility proof; --accept spends it on chain', load: () => import('./commands/verify-eligibility.js') },
  ceremony: { summary: 'run the multi-party trusted setup (phase 2) of the cohort circuits', load: () => import('./commands/ceremony.js') },
  licence: { summary: "issue, list, revoke or verify practitioners' licence credentials (LICENSING member)", load: () => import('./commands/licence.js') },
  telehealth: { summary: 'run a cross-institution consult by hand: book, check in, admit, invite, escalate, complete...', load: () => import('./commands/telehealth.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `usage: careledger <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "careledger <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`careledger: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`careledger: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
