// Rebuilds chaincode/evm/artifacts/*.json and artifacts.ts from contracts/ (`npm run build:contracts`).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { artifactsDir, compileContracts, renderArtifactFiles } from './compile.js';

const files = renderArtifactFiles(compileContracts());
mkdirSync(artifactsDir, { recursive: true });
for (const stale of readdirSync(artifactsDir)) {
  if (!files.has(join(artifactsDir, stale))) rmSync(join(artifactsDir, stale));
}
for (const [path, content] of files) writeFileSync(path, content);
console.log(`wrote ${[...files.keys()].map((p) => basename(p)).join(', ')}`);
