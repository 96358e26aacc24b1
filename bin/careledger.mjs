#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so the package needs no build step.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Resolved from this package, so the command works from any working directory.
const tsx = import.meta.resolve('tsx');
// The same V8 flags as gateway/cli/node-flags.ts (node-flags.test.ts keeps them equal).
const result = spawnSync(process.execPath, ['--max-old-space-size=384', '--import', tsx, join(root, 'gateway/cli/main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
