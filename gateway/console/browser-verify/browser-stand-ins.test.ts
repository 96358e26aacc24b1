import * as medplum from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { ens_normalize } from './ens-normalize-for-browser.js';
import * as standIn from './medplum-core-for-browser.js';

// The console bundle swaps these in for the libraries (vite-settings.ts): what the browser verifier
// reports must read exactly as what the CLI reports.
describe('the browser stand-ins', () => {
  it('build the same bad-request outcome as @medplum/core', () => {
    const cases: Array<[string, string?]> = [['x'], ['the receipt is not JSON', 'Bundle.entry[0]'], ['', '']];
    for (const args of cases) expect(standIn.badRequest(...args)).toEqual(medplum.badRequest(...args));
  });

  it('give OperationOutcomeError the same message, outcome and cause as @medplum/core', () => {
    const outcomes: OperationOutcome[] = [
      medplum.badRequest('x'),
      medplum.badRequest('x', 'y'),
      { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'd' }, { severity: 'error', code: 'value', details: { text: 't' }, expression: ['a', 'b'] }] },
      { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', details: { text: 't' }, diagnostics: 'why' }] },
      { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', details: { coding: [{ code: 'c' }] } }] },
      { resourceType: 'OperationOutcome', issue: [] },
      { resourceType: 'OperationOutcome' } as OperationOutcome,
    ];
    const cause = new Error('under');
    for (const outcome of outcomes) {
      const ours = new standIn.OperationOutcomeError(outcome, cause);
      const theirs = new medplum.OperationOutcomeError(outcome, cause);
      expect({ message: ours.message, outcome: ours.outcome, cause: ours.cause, error: ours instanceof Error }).toEqual({ message: theirs.message, outcome: theirs.outcome, cause: theirs.cause, error: true });
    }
  });

  it('refuse an ENS name rather than resolve it', () => {
    expect(() => ens_normalize('hospital-a.eth')).toThrow(/ENS names are not resolved on a consortium chain/);
  });
});
