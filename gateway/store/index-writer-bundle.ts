// Where the index writer thread's code is loaded from. A worker thread does not inherit the
// parent's TypeScript loader, and registering tsx in it starts a loader thread of its own and
// loads all of @medplum/core: ~50 MB of resident memory against ~26 MB for the same code bundled
// into one file by esbuild (tsx's own compiler), with @medplum/core cut to the two errors it uses.
// The node holds to 400 MB resident under attack (test/bounded-resources.test.ts), so the thread
// runs the bundle, written once per content into node_modules/.cache/careledger (its imports of
// better-sqlite3 and hl7.fhir.r5.core resolve from there as from the sources). Where it cannot be
// built or written (a read-only install), the thread loads the sources through tsx instead.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The thread's sources through tsx: the fallback. */
export const SOURCES_ENTRY = new URL('./index-writer-thread.mjs', import.meta.url);
let entry: { url: URL; bundled: boolean } | undefined;

/** The thread's entry: the bundle when it could be made, else the sources through tsx. */
export function indexWriterEntry(): { url: URL; bundled: boolean } {
  entry ??= bundle();
  return entry;
}

function bundle(): { url: URL; bundled: boolean } {
  try {
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof import('esbuild');
    const built = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL('./index-writer-worker.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      external: ['better-sqlite3'],
    });
    const code = built.outputFiles[0]!.text;
    const nodeModules = dirname(dirname(require.resolve('better-sqlite3/package.json')));
    const dir = join(nodeModules, '.cache', 'careledger');
    const file = join(dir, `index-writer-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, file);
    }
    return { url: pathToFileURL(file), bundled: true };
  } catch {
    return { url: SOURCES_ENTRY, bundled: false };
  }
}
