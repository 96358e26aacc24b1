// A generated CompactModel (model.ts) indexed for the structure validator and the R4->R5
// converter: JSON keys resolved to elements, choice types expanded, required elements listed.

import type { CompactModel, JsonKind } from './model.js';

/** One JSON property of a type: a plain element or one expansion of a choice element. */
export interface KeyedElement {
  key: string;
  /** Element name; for a choice expansion the shared `value[x]`-style name without suffix. */
  name: string;
  typeName: string;
  many: boolean;
  max: number;
  choice: boolean;
  modifier: boolean;
  /** The codes a required binding allows, when the model enumerates them. */
  codes: ReadonlySet<string> | undefined;
}

export interface RequiredElement {
  name: string;
  keys: string[];
}

export interface CompiledType {
  name: string;
  kind: 'resource' | 'complex' | 'primitive' | 'backbone';
  abstract: boolean;
  json: JsonKind | undefined;
  pattern: RegExp | undefined;
  byKey: Map<string, KeyedElement>;
  /** Element name (choice without [x]) to its JSON keys. */
  byName: Map<string, KeyedElement[]>;
  required: RequiredElement[];
}

/** A model turned into lookup tables once, then shared by every validation. */
export interface CompiledModel {
  fhirVersion: string;
  types: Map<string, CompiledType>;
}

export function compileForValidation(model: CompactModel): CompiledModel {
  const types = new Map<string, CompiledType>();
  for (const [name, t] of Object.entries(model.types)) {
    const byKey = new Map<string, KeyedElement>();
    const byName = new Map<string, KeyedElement[]>();
    const required: RequiredElement[] = [];
    for (const [elName, el] of Object.entries(t.elements)) {
      const codes = Array.isArray(el.t) ? el.t : [el.t];
      const max = el.max ?? (el.many ? Infinity : 1);
      const keys: string[] = [];
      const named: KeyedElement[] = [];
      const allowed = el.codes ? new Set(el.codes) : undefined;
      for (const code of codes) {
        const key = el.choice ? elName + code[0].toUpperCase() + code.slice(1) : elName;
        keys.push(key);
        const keyed: KeyedElement = { key, name: elName, typeName: code, many: !!el.many, max, choice: !!el.choice, modifier: !!el.mod, codes: allowed };
        byKey.set(key, keyed);
        named.push(keyed);
      }
      byName.set(elName, named);
      if ((el.min ?? 0) > 0) required.push({ name: elName, keys });
    }
    types.set(name, {
      name,
      kind: t.kind,
      abstract: !!t.abstract,
      json: t.json,
      pattern: t.regex ? new RegExp(`^(?:${t.regex})$`) : undefined,
      byKey,
      byName,
      required,
    });
  }
  return { fhirVersion: model.fhirVersion, types };
}

