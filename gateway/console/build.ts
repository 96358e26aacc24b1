// npm run build:console: builds the console bundle now (npm start does it too when it is stale).
import { buildConsoleBundle } from './console-bundle.js';

const started = Date.now();
const dir = await buildConsoleBundle();
console.log(`console built in ${dir} (${Date.now() - started} ms)`);
