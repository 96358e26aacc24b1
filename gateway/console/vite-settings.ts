// How the console is bundled (vite's build API, no config file to discover). Three things differ
// from a plain app: the verifier chunk is the CLI's own code, so node:crypto (and the two names it
// takes from @medplum/core) are swapped for browser equivalents; ethers' ENS normaliser is swapped
// for a refusal; and the contract artifacts it reads ABIs from are cut down to their ABIs, since
// their bytecode is only for deploying and would triple the bundle.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InlineConfig, Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_APP_DIR = join(here, 'app');
export const CONSOLE_DIST_DIR = join(here, 'dist');
const ARTIFACT_JSON = /[\\/]chaincode[\\/]evm[\\/]artifacts[\\/][A-Za-z]+\.json$/;

function abiOnlyArtifacts(): Plugin {
  return {
    name: 'careledger-abi-only-artifacts',
    enforce: 'pre',
    load(id) {
      const path = id.split('?')[0]!;
      if (!ARTIFACT_JSON.test(path)) return null;
      const { abi } = JSON.parse(readFileSync(path, 'utf8')) as { abi: unknown };
      return JSON.stringify({ abi });
    },
  };
}

export function consoleViteConfig(outDir: string): InlineConfig {
  return {
    configFile: false,
    root: CONSOLE_APP_DIR,
    base: '/console/',
    logLevel: 'warn',
    plugins: [abiOnlyArtifacts()],
    resolve: {
      alias: {
        'node:crypto': resolve(here, 'browser-verify/node-crypto-for-browser.ts'),
        // The browser chunks use two names from @medplum/core and none of ENS: small stand-ins
        // (each file says what it covers) keep ~45 KB gzip of library code out of the bundle.
        '@medplum/core': resolve(here, 'browser-verify/medplum-core-for-browser.ts'),
        '@adraffy/ens-normalize': resolve(here, 'browser-verify/ens-normalize-for-browser.ts'),
      },
    },
    esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      // The CSP allows no inline script or style; assets are files with hashed names.
      assetsInlineLimit: 0,
      reportCompressedSize: false,
      // dist/.vite/manifest.json: which chunk loads which, for the per-view sizes (bundle-sizes.ts).
      manifest: true,
      chunkSizeWarningLimit: 1024,
    },
  };
}
