import { OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize, canonicalizeResource } from './canonical.js';

function fromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

function outcomeOf(fn: () => unknown): { text: string; expression: string | undefined } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError);
    const issue = (err as OperationOutcomeError).outcome.issue[0]!;
    return { text: issue.details?.text ?? '', expression: issue.expression?.[0] };
  }
  throw new Error('expected a canonicalization error');
}

describe('RFC 8785 number serialization (Appendix B)', () => {
  const table: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(table)('%s serializes as %s', (bits, expected) => {
    expect(canonicalize(fromBits(bits))).toBe(expected);
  });

  it.each([
    ['7fffffffffffffff', 'NaN'],
    ['7ff0000000000000', 'Infinity'],
    ['fff0000000000000', '-Infinity'],
  ])('%s (%s) is rejected', (bits) => {
    const { text, expression } = outcomeOf(() => canonicalize({ a: [1, fromBits(bits)] }));
    expect(text).toMatch(/no JSON representation/);
    expect(expression).toBe('$.a[1]');
  });
});

describe('RFC 8785 examples', () => {
  it('section 3.2.2: the sample input canonicalizes to the sample output and its UTF-8 bytes', () => {
    const input =
      '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
      '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n' +
      '  "literals": [null, true, false]\n}';
    const expected =
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    expect(canonicalize(JSON.parse(input))).toBe(expected);
    // Section 3.2.4, the same output as UTF-8 bytes.
    const hex =
      '7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a' +
      '5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d3237' +
      '5d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d';
    expect(canonicalBytes(JSON.parse(input)).toString('hex')).toBe(hex);
  });

  it('section 3.2.3: properties sort by UTF-16 code units, not code points or locale', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('section 3.2.3: the same order for small objects (insertion sort) and large ones (Array sort)', () => {
    const names = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6', 'a', 'A', '', 'aa', 'a\u0000'];
    for (let n = 20; n <= 60; n += 4) names.push(...Array.from({ length: 4 }, (_, i) => `k${(n * 7 + i * 13) % 97}-${n}`));
    for (const size of [2, 7, 12, 24, 25, 40, names.length]) {
      const keys = names.slice(0, size).reverse();
      const object = Object.fromEntries(keys.map((k, i) => [k, i]));
      const expected = `{${[...keys].sort().map((k) => `${JSON.stringify(k)}:${object[k]}`).join(',')}}`;
      expect(canonicalize(object), `${size} members`).toBe(expected);
    }
  });

  it('cyberphone/json-canonicalization testdata: structures, weird, french, values', () => {
    const structures = '{\n  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},\n  "10": { },\n  "": "empty",\n  "a": { },\n  "111": [ { } ],\n  "A": { }\n}';
    expect(canonicalize(JSON.parse(structures))).toBe('{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}');

    const weird =
      '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley",' +
      '"\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh","</script>":"Browser Challenge"}';
    expect(canonicalize(JSON.parse(weird))).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );

    const french = { peach: 'a', 'péché': 'b', 'pêche': 'c', sin: 'd' };
    expect(canonicalize(french)).toBe('{"peach":"a","péché":"b","pêche":"c","sin":"d"}');
  });
});

describe('string escaping (RFC 8785 3.2.2.2)', () => {
  it('escapes every control character, with short forms where JSON has them', () => {
    const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    for (let c = 0; c < 0x20; c++) {
      const expected = short[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
      expect(canonicalize(String.fromCharCode(c))).toBe(`"${expected}"`);
    }
  });

  it('leaves DEL, U+2028/2029, "/" and non-ASCII literal and escapes only " and \\', () => {
    expect(canonicalize('\u007f\u2028\u2029/é😀"\\')).toBe('"\u007f\u2028\u2029/é😀\\"\\\\"');
  });

  it('rejects lone surrogates in values and keys, accepts pairs', () => {
    for (const bad of ['\ud800', 'a\udc00', '\udbff\ud800', 'x\ud83d']) {
      expect(outcomeOf(() => canonicalize({ k: bad })).text).toMatch(/lone UTF-16 surrogate/);
      expect(outcomeOf(() => canonicalize({ [bad]: 1 })).text).toMatch(/lone UTF-16 surrogate/);
    }
    expect(canonicalBytes('\ud83d\ude00').toString('hex')).toBe('22f09f988022');
  });
});

describe('JSON value domain', () => {
  it('serializes -0 as 0, literals, nested arrays and empty containers', () => {
    expect(canonicalize([-0, 0, true, false, null, [], {}, [[]]])).toBe('[0,0,true,false,null,[],{},[[]]]');
  });

  it('skips undefined members (absent in JSON) but rejects undefined array elements and holes', () => {
    expect(canonicalize({ b: 1, a: undefined })).toBe('{"b":1}');
    expect(outcomeOf(() => canonicalize({ x: [1, undefined] })).expression).toBe('$.x[1]');
    expect(outcomeOf(() => canonicalize([1, , 3])).expression).toBe('$[1]');
  });

  it('rejects values JSON cannot hold, naming where they are', () => {
    expect(outcomeOf(() => canonicalize({ a: { b: 1n } })).expression).toBe('$.a.b');
    expect(outcomeOf(() => canonicalize({ f: () => 1 })).text).toMatch(/function is not a JSON value/);
    expect(outcomeOf(() => canonicalize({ s: Symbol('x') })).text).toMatch(/symbol/);
    expect(outcomeOf(() => canonicalize({ d: new Date(0) })).text).toMatch(/Date object/);
    expect(outcomeOf(() => canonicalize(new Map())).text).toMatch(/Map object/);
    expect(outcomeOf(() => canonicalize(undefined)).expression).toBe('$');
  });

  it('accepts null-prototype objects', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 2;
    o.a = 1;
    expect(canonicalize(o)).toBe('{"a":1,"b":2}');
  });

  it('rejects cycles and absurd nesting with a clear error, not a stack overflow', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(outcomeOf(() => canonicalize(cyclic)).text).toMatch(/nested deeper than 256/);
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(outcomeOf(() => canonicalize(deep)).text).toMatch(/nested deeper/);
  });

  it('agrees with an independent reference on random JSON, and is idempotent', () => {
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ['a', 'B', '0', '9', '10', 'é', '€', '😀', '\n', '"', '\\', '\u0001', '\ufb33', ' '];
    const randomString = (): string => {
      let s = '';
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      return s;
    };
    const randomValue = (depth: number): unknown => {
      const pick = Math.floor(rand() * (depth > 3 ? 4 : 6));
      if (pick === 0) return randomString();
      if (pick === 1) return [0, -0, 1.5, -3e-7, 1e21, 2 ** 53, 123456789.123, rand()][Math.floor(rand() * 8)];
      if (pick === 2) return rand() < 0.5;
      if (pick === 3) return null;
      if (pick === 4) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(depth + 1));
      const o: Record<string, unknown> = {};
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) o[randomString()] = randomValue(depth + 1);
      return o;
    };
    // Reference: explicit code-unit comparison, hand-written escaping, built-in number printing.
    const compareUnits = (a: string, b: string): number => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const d = a.charCodeAt(i) - b.charCodeAt(i);
        if (d !== 0) return d;
      }
      return a.length - b.length;
    };
    const quote = (s: string): string => {
      let out = '"';
      for (const ch of s) {
        const c = ch.charCodeAt(0);
        if (ch === '"') out += '\\"';
        else if (ch === '\\') out += '\\\\';
        else if (c === 8) out += '\\b';
        else if (c === 9) out += '\\t';
        else if (c === 10) out += '\\n';
        else if (c === 12) out += '\\f';
        else if (c === 13) out += '\\r';
        else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
        else out += ch;
      }
      return out + '"';
    };
    const reference = (v: unknown): string => {
      if (v === null) return 'null';
      if (typeof v === 'boolean') return String(v);
      if (typeof v === 'number') return Object.is(v, -0) ? '0' : v.toString();
      if (typeof v === 'string') return quote(v);
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .sort(compareUnits)
        .map((k) => `${quote(k)}:${reference(o[k])}`)
        .join(',')}}`;
    };
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(0);
      const text = canonicalize(value);
      expect(text).toBe(reference(value));
      expect(canonicalize(JSON.parse(text))).toBe(text);
    }
  });
});

describe('canonicalizeResource', () => {
  const patient = {
    resourceType: 'Patient',
    id: 'p1',
    meta: { versionId: '3', lastUpdated: '2025-01-01T00:00:00Z' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
    name: [{ family: 'Ñandú', given: ['Zoë'] }],
    contained: [{ resourceType: 'Organization', id: 'o', meta: { source: 'kept' }, text: { status: 'empty' } }],
    maritalStatus: { text: 'kept too' },
  };

  it('drops top-level text and meta only; nested ones are content', () => {
    expect(canonicalizeResource(patient).toString('utf8')).toBe(
      '{"contained":[{"id":"o","meta":{"source":"kept"},"resourceType":"Organization","text":{"status":"empty"}}],' +
        '"id":"p1","maritalStatus":{"text":"kept too"},"name":[{"family":"Ñandú","given":["Zoë"]}],"resourceType":"Patient"}',
    );
  });

  it('is independent of member order and of text/meta content', () => {
    const reordered = JSON.parse(JSON.stringify({ ...patient, meta: { versionId: '9' }, text: undefined })) as object;
    const shuffled = Object.fromEntries(Object.entries(reordered).reverse());
    expect(canonicalizeResource(shuffled).equals(canonicalizeResource(patient))).toBe(true);
  });

  it('does not modify the resource', () => {
    const copy = structuredClone(patient);
    canonicalizeResource(patient);
    expect(patient).toEqual(copy);
  });

  it('reports errors with the FHIR path and as a 400 outcome', () => {
    const bad = { resourceType: 'Observation', valueQuantity: { value: Number.NaN } };
    const { text, expression } = outcomeOf(() => canonicalizeResource(bad));
    expect(expression).toBe('Observation.valueQuantity.value');
    expect(text).toMatch(/Cannot canonicalize \(RFC 8785\) at Observation\.valueQuantity\.value/);
    expect(outcomeOf(() => canonicalizeResource([] as unknown as object)).text).toMatch(/must be a JSON object/);
    expect(outcomeOf(() => canonicalizeResource(null as unknown as object)).text).toMatch(/must be a JSON object/);
  });
});
