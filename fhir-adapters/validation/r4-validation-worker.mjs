// Worker thread body for R4ValidationPool: validates batches of R4 resources with @medplum/core.
import { parentPort } from 'node:worker_threads';
import { loadR4Definitions, validateR4 } from './r4-validator.mjs';

loadR4Definitions();
// A resource the validator cannot walk (it recurses) fails alone: an exception escaping here would
// kill the worker and every validation in flight on it.
function validateOne(resource) {
  try {
    return validateR4(resource);
  } catch (error) {
    return [{ severity: 'error', code: 'too-costly', details: { text: `R4 validation failed: ${error.message}; check how deeply the resource nests` } }];
  }
}

parentPort.on('message', (message) => {
  parentPort.postMessage({ id: message.id, issues: message.resources.map(validateOne) });
});
parentPort.postMessage({ ready: true });
