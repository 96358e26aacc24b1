// Worker thread body for R4ValidationPool: validates batches of R4 resources with @medplum/core.
import { parentPort } from 'node:worker_threads';
import { loadR4Definitions, validateR4 } from './r4-validator.mjs';

loadR4Definitions();
parentPort.on('message', (message) => {
  parentPort.postMessage({ id: message.id, issues: message.resources.map((resource) => validateR4(resource)) });
});
parentPort.postMessage({ ready: true });
