// The index writer's thread entry (index-writer.ts): worker threads do not inherit the parent's
// TypeScript loader, so this registers tsx before loading the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./index-writer-worker.ts');
