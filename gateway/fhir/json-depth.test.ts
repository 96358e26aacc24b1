import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from './json-depth.js';

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('jsonDepthExceeds', () => {
  it('measures objects and arrays alike, at the boundary', () => {
    expect(jsonDepthExceeds(nested(10), 10)).toBe(false);
    expect(jsonDepthExceeds(nested(11), 10)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
  });

  it('counts depth, not the number of siblings', () => {
    expect(jsonDepthExceeds(`[${Array.from({ length: 10_000 }, () => '{"a":[1]}').join(',')}]`, 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ text: '[[[[{{{{' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: 'say "[[[[" \\' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: 'ends in a backslash \\', next: [[1]] }), 2)).toBe(true);
    expect(jsonDepthExceeds(JSON.stringify({ text: 'ends in a backslash \\', next: [[1]] }), 3)).toBe(false);
  });

  it('finds the 5,000-level body of the report and leaves malformed text to the parser', () => {
    expect(jsonDepthExceeds(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, 100)).toBe(true);
    expect(jsonDepthExceeds('{"a": "unterminated', 100)).toBe(false);
    expect(jsonDepthExceeds('', 100)).toBe(false);
  });
});
