// The console bundle's gzip sizes, per what a person actually fetches: the first load (page, entry
// script, style), then each on-demand chunk with everything it needs that the first load did not
// bring (the Receipts verifier, the Claims verifier, the R4 converter the Claims verifier loads for
// an R4 bundle, the Research criteria checker), and everything together. Read from vite's
// manifest (dist/.vite/manifest.json), so a new lazy chunk shows up without editing this file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

interface ManifestChunk {
  file: string;
  name?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export interface BundlePath {
  /** The chunk's name (vite's), e.g. `verify-claim-in-browser`. */
  name: string;
  /** Where it is loaded from: `first load`, or the path's parent name. */
  after: string;
  /** gzip -9 KB this path fetches beyond what was loaded before it. */
  addsGzipKb: number;
  /** gzip -9 KB fetched in all, from the first load to this chunk. */
  totalGzipKb: number;
}

export interface BundleSizes {
  firstLoadGzipKb: number;
  paths: BundlePath[];
  /** Every file the console serves (all chunks and styles, and the page). */
  totalGzipKb: number;
}

const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;

export function consoleBundleSizes(distDir: string): BundleSizes {
  const manifest = JSON.parse(readFileSync(join(distDir, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const gz = new Map<string, number>();
  const sizeOf = (file: string) => {
    let size = gz.get(file);
    if (size === undefined) gz.set(file, (size = gzipSync(readFileSync(join(distDir, file)), { level: 9 }).length));
    return size;
  };
  /** The files a chunk needs before it runs: itself, its styles and its static imports, recursively. */
  const closure = (key: string, into = new Set<string>()): Set<string> => {
    const chunk = manifest[key]!;
    if (into.has(chunk.file)) return into;
    into.add(chunk.file);
    for (const css of chunk.css ?? []) into.add(css);
    for (const imported of chunk.imports ?? []) closure(imported, into);
    return into;
  };
  const sum = (files: Iterable<string>) => [...files].reduce((total, file) => total + sizeOf(file), 0);

  const entryKey = Object.keys(manifest).find((key) => manifest[key]!.isEntry);
  if (!entryKey) throw new Error(`no entry chunk in ${distDir}/.vite/manifest.json`);
  const firstLoad = closure(entryKey, new Set(['index.html']));
  const paths: BundlePath[] = [];
  const visit = (parentKey: string, loaded: Set<string>, after: string) => {
    for (const key of manifest[parentKey]!.dynamicImports ?? []) {
      const files = closure(key, new Set(loaded));
      const name = manifest[key]!.name ?? key;
      paths.push({ name, after, addsGzipKb: kb(sum(files) - sum(loaded)), totalGzipKb: kb(sum(files)) });
      visit(key, files, name);
    }
  };
  visit(entryKey, firstLoad, 'first load');
  const everything = new Set(['index.html', ...Object.values(manifest).flatMap((chunk) => [chunk.file, ...(chunk.css ?? [])])]);
  return { firstLoadGzipKb: kb(sum(firstLoad)), paths, totalGzipKb: kb(sum(everything)) };
}
