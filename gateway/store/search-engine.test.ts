import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestNode, type TestNode } from '../../test/support/test-store.js';
import type { FhirResource, SearchQuery } from './service.js';
import { flushSearchIndex } from './deferred-index.js';
import { LiveResourceIndex } from './live-resource-index.js';
import { searchParam } from './search-param-name.js';

// The search engine over a real store (SQLite, vault, blind index): every parameter family, its
// modifiers and prefixes, sorting, includes, and what the index file holds.
let dir: string;
let node: TestNode;

const patients: FhirResource[] = [
  {
    resourceType: 'Patient',
    id: 'p-smith-1980',
    identifier: [{ system: 'urn:mrn', value: 'M1' }],
    name: [{ family: 'Smith', given: ['Jane', 'Anne'] }],
    gender: 'female',
    birthDate: '1980-05-14',
  },
  {
    resourceType: 'Patient',
    id: 'p-smith-1975',
    identifier: [{ system: 'urn:mrn', value: 'M2' }],
    name: [{ family: 'Smith', given: ['Jane'] }],
    gender: 'female',
    birthDate: '1975-01-02',
  },
  { resourceType: 'Patient', id: 'p-muller', identifier: [{ system: 'urn:ssn', value: 'S1' }], name: [{ family: 'Müller', given: ['Jörg'] }], gender: 'male', birthDate: '1980' },
  { resourceType: 'Patient', id: 'p-noname', gender: 'unknown' },
];

const observation = (id: string, patient: string, code: string, value: number, when: string, status = 'final'): FhirResource => ({
  resourceType: 'Observation',
  id,
  status,
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: when,
  valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
});

const observations = [
  observation('o1', 'p-smith-1980', '29463-7', 70.2, '2024-01-10T10:00:00Z'),
  observation('o2', 'p-smith-1980', '29463-7', 71.5, '2024-02-10T10:00:00Z'),
  observation('o3', 'p-smith-1975', '8867-4', 60, '2023-12-31T23:00:00Z', 'preliminary'),
  observation('o4', 'p-muller', '29463-7', 90, '2024-03-01'),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'careledger-search-'));
  node = openTestNode(dir, randomBytes(32));
  for (const resource of [...patients, ...observations]) await node.store.update(resource.resourceType, resource.id!, resource);
});
afterAll(() => {
  node.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ids(type: string, query: string, extra: Partial<SearchQuery> = {}): Promise<string[]> {
  const params = [...new URLSearchParams(query)].map(([name, value]) => searchParam(name, value));
  const result = await node.store.search({ type, params, count: 50, offset: 0, summaryCount: false, ...extra });
  return result.resources.map((resource) => resource.id!);
}

async function status(type: string, query: string): Promise<number | undefined> {
  try {
    await ids(type, query);
    return undefined;
  } catch (error) {
    return (error as { outcome?: { issue?: Array<{ code: string }> } }).outcome?.issue?.[0]?.code === 'invalid' ? 400 : 500;
  }
}

describe('string parameters (keyed prefix hashes)', () => {
  it('match a prefix, case- and accent-insensitively, on any name part', async () => {
    expect(await ids('Patient', 'name=smi')).toEqual(['p-smith-1980', 'p-smith-1975']);
    expect(await ids('Patient', 'family=MULLER')).toEqual(['p-muller']);
    expect(await ids('Patient', 'given=jorg')).toEqual(['p-muller']);
    expect(await ids('Patient', 'name=anne')).toEqual(['p-smith-1980']);
    expect(await ids('Patient', 'name=smithers')).toEqual([]);
  });

  it(':exact compares the stored text as it is', async () => {
    expect(await ids('Patient', 'family:exact=Smith')).toEqual(['p-smith-1980', 'p-smith-1975']);
    expect(await ids('Patient', 'family:exact=smith')).toEqual([]);
  });

  it(':missing, and :contains is refused rather than dropped', async () => {
    expect(await ids('Patient', 'name:missing=true')).toEqual(['p-noname']);
    expect(await status('Patient', 'name:contains=mit')).toBe(400);
  });
});

describe('birthdate (blind calendar buckets)', () => {
  it('name + birthdate finds the one right patient', async () => {
    expect(await ids('Patient', 'name=jane&birthdate=1980-05-14')).toEqual(['p-smith-1980']);
    expect(await ids('Patient', 'name=jane&birthdate=1975-01-02')).toEqual(['p-smith-1975']);
  });

  it.each([
    ['1980', ['p-smith-1980', 'p-muller']],
    ['1980-05', ['p-smith-1980']],
    ['lt1980', ['p-smith-1975']],
    ['ge1980-05-14', ['p-smith-1980', 'p-muller']],
    ['gt1980-05-14', ['p-muller']],
    ['le1975-01-02', ['p-smith-1975']],
    ['ne1980', ['p-smith-1975']],
    ['sa1975-12-31', ['p-smith-1980', 'p-muller']],
    ['eb1980-01-01', ['p-smith-1975']],
    ['1979-12-31,1980-05-14', ['p-smith-1980']],
  ])('birthdate=%s', async (value, expected) => {
    expect((await ids('Patient', `birthdate=${value}`)).sort()).toEqual([...expected].sort());
  });

  it('a malformed date is a 400', async () => {
    expect(await status('Patient', 'birthdate=yesterday')).toBe(400);
  });
});

describe('token parameters', () => {
  it('identifier: system|value, system| (any value in the system), |value, value', async () => {
    expect(await ids('Patient', 'identifier=urn:mrn|M1')).toEqual(['p-smith-1980']);
    expect(await ids('Patient', 'identifier=urn:mrn|')).toEqual(['p-smith-1980', 'p-smith-1975']);
    expect(await ids('Patient', 'identifier=S1')).toEqual(['p-muller']);
    expect(await ids('Patient', 'identifier=|S1')).toEqual([]);
  });

  it('code, status, category, gender, and :not', async () => {
    expect(await ids('Observation', 'code=http://loinc.org|29463-7')).toEqual(['o1', 'o2', 'o4']);
    expect(await ids('Observation', 'code=8867-4')).toEqual(['o3']);
    expect(await ids('Observation', 'status=preliminary')).toEqual(['o3']);
    expect(await ids('Observation', 'status:not=final')).toEqual(['o3']);
    expect(await ids('Observation', 'category=vital-signs&code=8867-4')).toEqual(['o3']);
    expect(await ids('Patient', 'gender=male,unknown')).toEqual(['p-muller', 'p-noname']);
    expect(await status('Observation', 'code:text=weight')).toBe(400);
  });
});

describe('date, quantity and reference parameters', () => {
  it('date with prefixes', async () => {
    expect(await ids('Observation', 'date=2024-01')).toEqual(['o1']);
    expect(await ids('Observation', 'date=ge2024-02-01&date=lt2024-03-02')).toEqual(['o2', 'o4']);
    expect(await ids('Observation', 'date=lt2024')).toEqual(['o3']);
  });

  it('value-quantity with prefixes, precision and units', async () => {
    expect(await ids('Observation', 'value-quantity=70.2')).toEqual(['o1']);
    expect(await ids('Observation', 'value-quantity=70')).toEqual(['o1']);
    expect(await ids('Observation', 'value-quantity=gt70|http://unitsofmeasure.org|kg')).toEqual(['o1', 'o2', 'o4']);
    expect(await ids('Observation', 'value-quantity=le60||kg')).toEqual(['o3']);
    expect(await ids('Observation', 'value-quantity=gt70||g')).toEqual([]);
  });

  it('patient, subject with a type modifier, and a bare id', async () => {
    expect(await ids('Observation', 'patient=p-smith-1980')).toEqual(['o1', 'o2']);
    expect(await ids('Observation', 'subject:Patient=p-muller')).toEqual(['o4']);
    expect(await ids('Observation', 'subject=Patient/p-smith-1975')).toEqual(['o3']);
  });

  it('chained: patient.identifier and subject:Patient.name', async () => {
    expect(await ids('Observation', 'patient.identifier=urn:mrn|M2')).toEqual(['o3']);
    expect(await ids('Observation', 'subject:Patient.name=muller')).toEqual(['o4']);
    expect(await ids('Observation', 'patient.birthdate=1980-05-14&code=29463-7')).toEqual(['o1', 'o2']);
  });
});

describe('sorting and includes', () => {
  it('_sort by date, quantity, _id, descending with -', async () => {
    expect(await ids('Observation', '', { sort: [{ code: 'date', descending: false }] })).toEqual(['o3', 'o1', 'o2', 'o4']);
    expect(await ids('Observation', '', { sort: [{ code: 'value-quantity', descending: true }] })).toEqual(['o4', 'o2', 'o1', 'o3']);
    expect(await ids('Patient', '', { sort: [{ code: '_id', descending: true }] })).toEqual(['p-smith-1980', 'p-smith-1975', 'p-noname', 'p-muller']);
  });

  it('_include and _revinclude', async () => {
    const params = [searchParam('code', '8867-4')];
    const included = await node.store.search({
      type: 'Observation',
      params,
      count: 10,
      offset: 0,
      summaryCount: false,
      include: [{ source: 'Observation', code: 'patient', iterate: false }],
    });
    expect(included.included?.map((resource) => resource.id)).toEqual(['p-smith-1975']);
    const reverse = await node.store.search({
      type: 'Patient',
      params: [searchParam('_id', 'p-smith-1980')],
      count: 10,
      offset: 0,
      summaryCount: false,
      revinclude: [{ source: 'Observation', code: 'subject', iterate: false }],
    });
    expect(reverse.included?.map((resource) => resource.id).sort()).toEqual(['o1', 'o2']);
  });
});

describe('rows per resource (what intake pays)', () => {
  // The rows of acknowledged writes follow in batches (deferred-index.ts): flushed before a raw read.
  const rowsOf = (type: string, id: string) => {
    flushSearchIndex(node.db);
    return node.db.prepare('SELECT param, qual FROM search_index WHERE type = ? AND id = ? ORDER BY param').all(type, id) as Array<{ param: string; qual: string }>;
  };

  it('a resource with more rows than one INSERT statement takes has all of them, and an update swaps them', async () => {
    // Rows go in 32 to a statement: a patient with many long names crosses several chunks.
    const names = Array.from({ length: 6 }, (_, n) => ({ family: `Longfamilyname${n}`, given: [`Givenname${n}a`, `Givenname${n}b`] }));
    await node.store.update('Patient', 'p-many-names', { resourceType: 'Patient', id: 'p-many-names', name: names });
    const rows = () => {
      flushSearchIndex(node.db);
      return (node.db.prepare('SELECT COUNT(*) AS n FROM search_index WHERE type = ? AND id = ?').get('Patient', 'p-many-names') as { n: number }).n;
    };
    expect(rows()).toBeGreaterThan(64);
    for (let n = 0; n < 6; n++) {
      expect(await ids('Patient', `family=Longfamilyname${n}`)).toEqual(['p-many-names']);
      expect(await ids('Patient', `given=Givenname${n}b`)).toEqual(['p-many-names']);
    }
    await node.store.update('Patient', 'p-many-names', { resourceType: 'Patient', id: 'p-many-names', name: [names[5]!] });
    expect(await ids('Patient', 'family=Longfamilyname0')).toEqual([]);
    expect(await ids('Patient', 'family=Longfamilyname5')).toEqual(['p-many-names']);
    await node.store.delete('Patient', 'p-many-names');
    expect(rows()).toBe(0);
  });

  it('a coded token is one row that answers code, system|code and |code', async () => {
    const rows = rowsOf('Observation', 'o1');
    expect(rows.filter((row) => row.param === 'code')).toHaveLength(1);
    expect(rows.filter((row) => row.param === 'category')).toHaveLength(1);
    expect(await ids('Observation', 'status=|final')).toEqual(['o1', 'o2', 'o4']);
    expect(await ids('Observation', 'code=|29463-7')).toEqual([]);
    expect(await ids('Observation', 'code=http://snomed.info/sct|29463-7')).toEqual([]);
    expect(await ids('Observation', 'code=http://loinc.org|8867-4,29463-7&status=final')).toEqual(['o1', 'o2', 'o4']);
    expect(await status('Observation', 'code=http://loinc.org|')).toBe(400);
  });

  it('patient is answered from the subject rows (R5: subject where it is a Patient), not indexed twice', async () => {
    expect(rowsOf('Observation', 'o1').map((row) => row.param)).not.toContain('patient');
    expect(await ids('Observation', 'patient=Group/g1')).toEqual([]);
    expect(await ids('Observation', 'patient:missing=false')).toEqual(['o1', 'o2', 'o3', 'o4']);
    expect(await ids('Observation', 'patient:missing=true')).toEqual([]);
    const reverse = await node.store.search({
      type: 'Patient',
      params: [searchParam('_id', 'p-muller')],
      count: 10,
      offset: 0,
      summaryCount: false,
      revinclude: [{ source: 'Observation', code: 'patient', iterate: false }],
    });
    expect(reverse.included?.map((resource) => resource.id)).toEqual(['o4']);
    const linked = await new LiveResourceIndex(node.db).linkedToPatients('Observation');
    expect(linked.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'o1', patient: 'Patient/p-smith-1980' },
      { id: 'o2', patient: 'Patient/p-smith-1980' },
      { id: 'o3', patient: 'Patient/p-smith-1975' },
      { id: 'o4', patient: 'Patient/p-muller' },
    ]);
  });

  it('an update moves exactly the rows that changed (the tables have no index by owner), a delete removes them all', async () => {
    const updateDir = mkdtempSync(join(tmpdir(), 'careledger-search-update-'));
    const other = openTestNode(updateDir, randomBytes(32));
    try {
      const count = () => {
        flushSearchIndex(other.db);
        return (other.db
          .prepare("SELECT (SELECT COUNT(*) FROM search_index WHERE id = 'u') + (SELECT COUNT(*) FROM search_date WHERE id = 'u') + (SELECT COUNT(*) FROM search_quantity WHERE id = 'u') AS n")
          .get() as { n: number }).n;
      };
      const find = async (query: string) => {
        const params = [...new URLSearchParams(query)].map(([name, value]) => searchParam(name, value));
        return (await other.store.search({ type: 'Observation', params, count: 10, offset: 0, summaryCount: false })).resources.map((resource) => resource.id);
      };
      await other.store.update('Observation', 'u', observation('u', 'p1', '29463-7', 70, '2024-01-10T10:00:00Z'));
      const rows = count();
      await other.store.update('Observation', 'u', observation('u', 'p2', '8867-4', 80, '2024-02-10T10:00:00Z', 'amended'));
      expect(count()).toBe(rows);
      for (const stale of ['code=29463-7', 'patient=p1', 'status=final', 'date=2024-01-10', 'value-quantity=70']) expect(await find(stale)).toEqual([]);
      for (const fresh of ['code=8867-4', 'patient=p2', 'status=amended', 'date=2024-02-10', 'value-quantity=80']) expect(await find(fresh)).toEqual(['u']);
      await other.store.delete('Observation', 'u');
      expect(count()).toBe(0);
    } finally {
      other.close();
      rmSync(updateDir, { recursive: true, force: true });
    }
  });
});

describe('what the index file holds', () => {
  it('no name, identifier, birth date or code in the clear (references are server ids, as before)', () => {
    const rows = [
      ...(node.db.prepare("SELECT value FROM search_index WHERE value NOT LIKE 'Patient/%'").all() as Array<{ value: string }>).map((row) => row.value),
      ...(node.db.prepare('SELECT low, high FROM search_date').all() as Array<{ low: string; high: string }>).flatMap((row) => [row.low, row.high]),
    ].join('\n');
    for (const secret of ['Smith', 'smith', 'mith', 'Jane', 'ller', 'urn:mrn', '1980-05', '1975', '29463-7', 'loinc', 'vital']) {
      expect(rows).not.toContain(secret);
    }
  });
});

describe('a data directory indexed by an earlier version', () => {
  it('is indexed again once when the store opens', async () => {
    const oldDir = mkdtempSync(join(tmpdir(), 'careledger-search-reindex-'));
    const key = randomBytes(32);
    try {
      const first = openTestNode(oldDir, key);
      await first.store.update('Patient', 'old', { resourceType: 'Patient', id: 'old', name: [{ family: 'Okafor' }], birthDate: '1961-07-01' });
      // What the earlier version left: no name or birth date entries, no index version.
      first.db.prepare("DELETE FROM search_index WHERE param <> 'identifier'").run();
      first.db.prepare("DELETE FROM node_state WHERE key = 'search_index_version'").run();
      first.close();

      const reopened = openTestNode(oldDir, key);
      const params = [searchParam('family', 'oka'), searchParam('birthdate', '1961')];
      const found = await reopened.store.search({ type: 'Patient', params, count: 10, offset: 0, summaryCount: false });
      expect(found.resources.map((resource) => resource.id)).toEqual(['old']);
      reopened.close();
    } finally {
      rmSync(oldDir, { recursive: true, force: true });
    }
  });
});
