import { describe, expect, it } from 'vitest';
import { versionFromIfMatch } from './etag.js';
import { parsePrefer } from './prefer.js';

describe('parsePrefer', () => {
  it.each([
    [undefined, { strict: true }],
    ['return=minimal', { return: 'minimal', strict: true }],
    ['return=OperationOutcome; handling=strict', { return: 'OperationOutcome', strict: true }],
    ['handling=lenient, return="representation"', { return: 'representation', strict: false }],
    [['return=minimal', 'handling=strict'], { return: 'minimal', strict: true }],
    ['return=everything', { strict: true }],
  ])('%j', (header, expected) => {
    expect(parsePrefer(header as string | string[] | undefined)).toEqual(expected);
  });
});

describe('versionFromIfMatch', () => {
  it.each([
    ['W/"3"', '3'],
    ['"3"', '3'],
    ['3', '3'],
    [' W/"abc-1" ', 'abc-1'],
  ])('%s -> %s', (header, version) => {
    expect(versionFromIfMatch(header)).toBe(version);
  });

  it.each(['W/"1", W/"2"', 'W/', '""', '*'])('rejects %s', (header) => {
    expect(() => versionFromIfMatch(header)).toThrow();
  });
});
