import { describe, expect, it } from 'vitest';
import { rewriteReferences } from './bundle-references.js';

const A = 'urn:uuid:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'urn:uuid:bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const targets = new Map([
  [A, 'Patient/1'],
  [B, 'Encounter/2'],
]);

describe('rewriteReferences', () => {
  it('rewrites exact matches at any depth, in objects and arrays, and leaves the rest', () => {
    const resource = {
      resourceType: 'Observation',
      subject: { reference: A },
      focus: [{ reference: B }, { reference: 'Patient/other' }],
      component: [{ valueReference: { reference: A } }],
      note: [{ text: `mentions ${A} in prose` }],
      basedOn: [A],
      count: 3,
      flag: true,
      nothing: null,
    };
    rewriteReferences(resource, targets);
    expect(resource.subject.reference).toBe('Patient/1');
    expect(resource.focus.map((f) => f.reference)).toEqual(['Encounter/2', 'Patient/other']);
    expect(resource.component[0].valueReference.reference).toBe('Patient/1');
    expect(resource.note[0].text).toBe(`mentions ${A} in prose`);
    expect(resource.basedOn).toEqual(['Patient/1']);
    expect(resource).toMatchObject({ count: 3, flag: true, nothing: null });
  });

  it('rewrites urn:uuid links inside narrative', () => {
    const resource = { text: { div: `<div><a href="${A}">a</a><a href="${B}">b</a><a href="urn:uuid:cccccccc-cccc-4ccc-8ccc-cccccccccccc">c</a></div>` } };
    rewriteReferences(resource, targets);
    expect(resource.text.div).toBe('<div><a href="Patient/1">a</a><a href="Encounter/2">b</a><a href="urn:uuid:cccccccc-cccc-4ccc-8ccc-cccccccccccc">c</a></div>');
  });
});
