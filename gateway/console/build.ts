// npm run build:console: builds the console bundle now (npm start does it too when it is stale).
import { consoleBundleSizes } from './bundle-sizes.js';
import { buildConsoleBundle } from './console-bundle.js';

const started = Date.now();
const dir = await buildConsoleBundle();
console.log(`console built in ${dir} (${Date.now() - started} ms)`);
const sizes = consoleBundleSizes(dir);
console.log(`gzip -9: first load ${sizes.firstLoadGzipKb} KB, everything ${sizes.totalGzipKb} KB`);
for (const path of sizes.paths) console.log(`  ${path.name} (after ${path.after}): +${path.addsGzipKb} KB, ${path.totalGzipKb} KB in all`);
