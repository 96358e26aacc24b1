// The console's built bundle: made by vite from gateway/console/app, not committed, and rebuilt
// whenever a source it was built from changed (the manifest lists them with a hash), so a fresh
// clone's `npm start` and a developer's edit both serve what the sources say. Builds go to a
// temporary folder renamed into place, so two nodes starting at once never serve half a bundle.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CONSOLE_DIST_DIR, consoleViteConfig } from './vite-settings.js';

const MANIFEST = 'careledger-sources.json';
const REPO_ROOT = resolve(CONSOLE_DIST_DIR, '../../..');

interface SourceManifest {
  hash: string;
  files: string[];
}

function sourcesHash(files: string[]): string | null {
  const hash = createHash('sha256');
  for (const file of files) {
    const path = join(REPO_ROOT, file);
    if (!existsSync(path)) return null;
    hash.update(file).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

/** Why the bundle must be (re)built, or null when the one on disk matches its sources. */
export function consoleBundleStale(dir = CONSOLE_DIST_DIR): string | null {
  const manifestPath = join(dir, MANIFEST);
  if (!existsSync(join(dir, 'index.html')) || !existsSync(manifestPath)) return 'no console bundle yet';
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SourceManifest;
  return sourcesHash(manifest.files) === manifest.hash ? null : 'its sources changed since it was built';
}

/** Builds the console into `dir` (vite); returns the path. */
export async function buildConsoleBundle(dir = CONSOLE_DIST_DIR): Promise<string> {
  const { build } = await import('vite');
  const staging = `${dir}.building-${process.pid}-${Date.now()}`;
  const output = await build(consoleViteConfig(staging));
  const results = Array.isArray(output) ? output : [output];
  const sources = new Set<string>(['package-lock.json']);
  for (const result of results) {
    if (!('output' in result)) continue;
    for (const item of result.output) {
      if (item.type !== 'chunk') continue;
      for (const id of item.moduleIds) {
        const path = id.split('?')[0]!;
        if (path.startsWith(REPO_ROOT) && !path.includes('node_modules') && existsSync(path)) sources.add(relative(REPO_ROOT, path));
      }
    }
  }
  // Styles and the page itself are not chunk modules; the app folder is listed whole.
  for (const file of ['index.html', 'console.css']) sources.add(relative(REPO_ROOT, join(CONSOLE_DIST_DIR, '../app', file)));
  const files = [...sources].sort();
  const hash = sourcesHash(files);
  if (hash === null) throw new Error('a console source vanished during the build: run npm run build:console again');
  writeFileSync(join(staging, MANIFEST), JSON.stringify({ hash, files } satisfies SourceManifest));
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process's build (a second node starting, a test) was renamed into place first:
    // built from the same sources, it is as good as this one.
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  return dir;
}

/** Builds only when missing or stale; returns what was done, for the start banner. */
export async function ensureConsoleBundle(dir = CONSOLE_DIST_DIR): Promise<{ built: boolean; reason?: string }> {
  const reason = consoleBundleStale(dir);
  if (reason === null) return { built: false };
  await buildConsoleBundle(dir);
  return { built: true, reason };
}
