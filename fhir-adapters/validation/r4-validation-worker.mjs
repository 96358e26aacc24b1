// Entry of an R4 validation worker thread. Worker threads do not inherit the tsx loader, so the
// worker registers it itself before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./r4-validation-worker.ts');
