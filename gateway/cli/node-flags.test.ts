import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from './node-flags.js';

const root = new URL('../../', import.meta.url);

describe('every way of starting a node uses the same V8 flags', () => {
  it('npm start and bin/careledger.mjs pass NODE_FLAGS', () => {
    const start = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const bin = readFileSync(new URL('bin/careledger.mjs', root), 'utf8');
    for (const flag of NODE_FLAGS) {
      expect(start).toContain(flag);
      expect(bin).toContain(`'${flag}'`);
    }
  });
});
