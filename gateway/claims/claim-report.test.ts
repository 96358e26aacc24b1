import { describe, expect, it } from 'vitest';
import { type CheckStatus, type ClaimCheck, type ClaimReport, CLAIM_CHECKS, exitCodeOf, renderClaimReport, verdictOf } from './claim-report.js';
import { ClaimBundleError, indexEvidence } from './evidence-index.js';

const checks = (...statuses: CheckStatus[]): ClaimCheck[] => statuses.map((status, i) => ({ name: CLAIM_CHECKS[i]!, status, detail: status, evidence: [] }));

describe('the claim report', () => {
  it('FAILED beats INCONCLUSIVE beats WARNINGS beats VERIFIED, with the exit codes of careledger verify', () => {
    expect(verdictOf(checks('pass', 'pass'))).toBe('VERIFIED');
    expect(verdictOf(checks('pass', 'warn'))).toBe('WARNINGS');
    expect(verdictOf(checks('warn', 'skip'))).toBe('INCONCLUSIVE');
    expect(verdictOf(checks('skip', 'fail', 'warn'))).toBe('FAILED');
    expect(['VERIFIED', 'WARNINGS', 'FAILED', 'INCONCLUSIVE'].map((v) => exitCodeOf(v as never))).toEqual([0, 0, 1, 2]);
  });

  it('renders the verdict first and the evidence of every check that did not pass', () => {
    const report: ClaimReport = {
      format: 'careledger-claim-report/1',
      verdict: 'FAILED',
      claim: { resource: 'Claim/c1/_history/2', created: null, lines: 1 },
      fhirVersion: 'R4',
      form: 'the bundle is R4',
      trust: { fingerprint: 'sha256:ab', chainId: 31337, contracts: {}, source: 'trust file t.json' },
      checks: [
        { name: 'references', status: 'pass', detail: 'all resolve', evidence: [{ note: 'hidden unless verbose' }] },
        { name: 'duplicates', status: 'fail', detail: '1 line billed before', evidence: [{ line: 1, status: 'fail', member: '0x01', sequence: '4', block: 9, tx: '0x02', note: 'registered earlier' }] },
      ],
      checkedAt: '2026-01-01T00:00:00.000Z',
    };
    expect(renderClaimReport(report).split('\n')).toEqual([
      'FAILED: Claim/c1/_history/2 (1 line)',
      'note: the bundle is R4',
      '  pass references: all resolve',
      '  FAIL duplicates: 1 line billed before',
      '      FAIL line 1 member 0x01 anchor 4 block 9 tx 0x02: registered earlier',
      'trust: chain 31337, from trust file t.json (sha256:ab)',
    ]);
    expect(renderClaimReport(report, { verbose: true })).toContain('hidden unless verbose');
  });
});

describe('reading an evidence bundle', () => {
  const claim = { resourceType: 'Claim', id: 'c1', patient: { reference: 'Patient/p1' } };
  const patient = { resourceType: 'Patient', id: 'p1' };
  const provenance = (target: string) => ({ resourceType: 'Provenance', id: `pv-${target}`, target: [{ reference: target }] });

  it('refuses what is not one claim with its evidence', () => {
    expect(() => indexEvidence('text')).toThrow(ClaimBundleError);
    expect(() => indexEvidence({ resourceType: 'Patient' })).toThrow(/not a FHIR Bundle/);
    expect(() => indexEvidence({ resourceType: 'Bundle', entry: [{ resource: patient }] })).toThrow(/holds no Claim/);
    expect(() => indexEvidence({ resourceType: 'Bundle', entry: [{ resource: claim }, { resource: { ...claim, id: 'c2' } }] })).toThrow(/holds 2 Claims/);
    expect(() => indexEvidence({ resourceType: 'Bundle', entry: [{ resource: claim }, { resource: claim }] })).toThrow(/holds Claim\/c1 twice/);
    expect(() => indexEvidence({ resourceType: 'Bundle', entry: [{ fullUrl: 'x' }] })).toThrow(/entry\[0\] holds no resource/);
  });

  it('resolves relative, versioned, absolute and fullUrl references, and finds each version’s Provenance', () => {
    const index = indexEvidence({
      resourceType: 'Bundle',
      entry: [
        { fullUrl: 'https://node/fhir/Claim/c1', resource: claim },
        { fullUrl: 'urn:uuid:7', resource: patient },
        { resource: provenance('Patient/p1/_history/3') },
        { resource: { resourceType: 'OperationOutcome', issue: [] } },
      ],
      issues: { resourceType: 'OperationOutcome', issue: [{ details: { text: 'Coverage/x was erased' } }] },
    });
    expect(index.claim).toBe(claim);
    expect(index.resources).toEqual([claim, patient]);
    for (const ref of ['Patient/p1', 'Patient/p1/_history/3', 'https://elsewhere/fhir/Patient/p1', 'urn:uuid:7']) expect(index.resolve(ref)).toBe(patient);
    expect(index.resolve('Patient/p2')).toBeUndefined();
    expect(index.provenanceOf('Patient', 'p1', '3')?.id).toBe('pv-Patient/p1/_history/3');
    expect(index.provenanceOf('Patient', 'p1', undefined)?.id).toBe('pv-Patient/p1/_history/3');
    expect(index.provenanceOf('Claim', 'c1', '1')).toBeUndefined();
    expect(index.issues).toEqual(['Coverage/x was erased']);
  });
});
