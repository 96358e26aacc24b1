// The receipt verifier is the CLI's own code (gateway/receipts, gateway/crypto), which works on
// Node's Buffer; browsers have none. Imported first by the verifier chunk so every module after it
// finds the global, as it would under Node.
import { Buffer } from 'buffer';

(globalThis as { Buffer?: typeof Buffer }).Buffer ??= Buffer;
