import { OperationOutcomeError, badRequest } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { CompiledType, KeyedElement } from '../validation/validation-model.js';
import { R4, R5 } from '../validation/release-models.js';
import { complexFromPrimitive, convertPrimitive, LOSSY } from './datatype-bridges.js';
import type { ElementRule, RuleTable } from './rules.js';
import { xverExtensionUrl } from './xver-extension.js';

export type Json = Record<string, unknown>;

export interface R5Resource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}

interface Converted {
  value: unknown;
  ext?: Json;
}

interface Item {
  value: unknown;
  ext: Json | undefined;
  path: string;
}

const R5_EXTENSION = R5.types.get('Extension') as CompiledType;
const DATA_ABSENT_REASON = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';

/**
 * One R4 -> R5 conversion. Walks the R4 resource with the R4 model, applies the rule table,
 * bridges datatypes generically, and carries anything without an R5 home as a cross-version
 * extension, reporting every such decision as an issue.
 */
export class Conversion {
  readonly issues: OperationOutcomeIssue[] = [];
  /** Why the last complex conversion was refused (an R5-required element had no source). */
  private refusal = '';

  constructor(private readonly rules: RuleTable) {}

  resource(src: Json, path: string): R5Resource {
    const type = src.resourceType;
    const t4 = typeof type === 'string' ? R4.types.get(type) : undefined;
    if (!t4 || t4.kind !== 'resource' || t4.abstract) {
      throw new OperationOutcomeError(badRequest(`Unknown R4 resource type ${JSON.stringify(type)}`, path));
    }
    const t5 = R5.types.get(t4.name);
    if (!t5 || t5.kind !== 'resource') {
      throw new OperationOutcomeError(badRequest(`${t4.name} does not exist in FHIR R5`, path));
    }
    const out: R5Resource = { resourceType: t4.name };
    this.object(src, t4, t5, out, out, path || t4.name);
    this.markAbsent(out, t5, path || t4.name);
    return out;
  }

  /**
   * An element R5 made required that a valid R4 resource leaves out (Condition.clinicalStatus,
   * ...) gets the data-absent-reason extension (`unknown`) instead of refusing the resource:
   * the R5 rules allow an extension in place of the value, and the reader is told nothing was
   * known rather than being given a guess.
   */
  private markAbsent(out: Json, t5: CompiledType, path: string): void {
    for (const req of t5.required) {
      if (req.keys.some((k) => out[k] !== undefined || out['_' + k] !== undefined)) continue;
      const el5 = t5.byKey.get(req.keys[0]) as KeyedElement;
      if (el5.choice) continue;
      const absent = { extension: [{ url: DATA_ABSENT_REASON, valueCode: 'unknown' }] };
      const primitive = R5.types.get(el5.typeName)?.kind === 'primitive';
      const slot = primitive ? `_${el5.key}` : el5.key;
      out[slot] = el5.many ? [primitive ? absent : structuredClone(absent)] : absent;
      if (primitive && el5.many) out[el5.key] = [null];
      this.issue('warning', 'informational', `${path}.${el5.key}`, `R5 requires ${t5.name}.${el5.key}, which the R4 resource does not give: marked data-absent-reason 'unknown'`);
    }
  }

  private object(src: Json, t4: CompiledType, t5: CompiledType, out: Json, root: Json, path: string): void {
    const rules = this.rules[t4.name];
    for (const key in src) {
      if (key === 'resourceType' && t4.kind === 'resource') continue;
      let el4: KeyedElement | undefined;
      let value: unknown;
      let ext: unknown;
      if (key.charCodeAt(0) === 95 /* _ */) {
        if (src[key.slice(1)] !== undefined) continue;
        el4 = t4.byKey.get(key.slice(1));
        ext = src[key];
      } else {
        el4 = t4.byKey.get(key);
        value = src[key];
        ext = src['_' + key];
      }
      if (!el4) {
        this.issue('error', 'structure', `${path}.${key}`, `Unknown R4 element '${key}' in ${t4.name}: not converted`);
        continue;
      }
      const rule = rules?.elements?.[el4.key] ?? rules?.elements?.[el4.name];
      this.element(el4, value, ext, t4, t5, out, root, `${path}.${el4.key}`, rule);
    }
    if (rules?.set) {
      for (const [k, v] of Object.entries(rules.set)) if (out[k] === undefined) out[k] = structuredClone(v);
    }
  }

  private element(
    el4: KeyedElement,
    value: unknown,
    ext: unknown,
    t4: CompiledType,
    t5: CompiledType,
    out: Json,
    root: Json,
    path: string,
    rule: ElementRule | undefined,
  ): void {
    const r4Path = r4PathOf(t4, el4);
    const items = toItems(el4, value, ext, path);
    if (el4.codes && !this.inR4Binding(el4, el4.codes, items, r4Path)) return;
    if (rule?.carry) {
      for (const item of items) this.carry(out, t5, el4, r4Path, item, root, rule.carry, 'information');
      return;
    }
    if (rule?.flatten) {
      const inner = R4.types.get(el4.typeName) as CompiledType;
      for (const item of items) if (isObject(item.value)) this.object(item.value, inner, t5, out, root, item.path);
      return;
    }
    const parent = rule?.toRoot ? root : out;
    const parentType = rule?.toRoot ? (R5.types.get(root.resourceType as string) as CompiledType) : t5;
    const targets = resolveTargets(parentType, rule?.to ?? el4.name, el4.choice ? el4.key.slice(el4.name.length) : '');
    if (rule?.wrap && rule.group && targets.length > 0) {
      this.groupInto(items, el4, targets[0], rule, parent, out, t5, r4Path, root);
      return;
    }
    for (const item of items) {
      const mark = this.issues.length;
      let reason = 'has no R5 equivalent';
      let placed = false;
      for (const el5 of targets) {
        this.refusal = '';
        const converted = this.item(item, el4.typeName, el5, rule, r4Path, root);
        if (!converted) {
          if (this.refusal) reason = this.refusal;
          this.issues.length = mark;
          continue;
        }
        placed = place(parent, el5, converted);
        if (!placed) {
          reason = `cannot be placed: R5 ${parentType.name}.${el5.key} is already set or full`;
          this.issues.length = mark;
        }
        break;
      }
      if (!placed) this.carry(out, t5, el4, r4Path, item, root, reason, 'warning');
    }
  }

  /** A code outside its R4 required binding is invalid R4, not a cross-version gap: refused. */
  private inR4Binding(el4: KeyedElement, codes: ReadonlySet<string>, items: Item[], r4Path: string): boolean {
    const bad = items.find((item) => typeof item.value === 'string' && !codes.has(item.value));
    if (!bad) return true;
    const allowed = [...codes];
    const list = allowed.length <= 12 ? `: ${allowed.join(', ')}` : ` (${allowed.length} codes)`;
    this.issue('error', 'code-invalid', bad.path, `Invalid code ${JSON.stringify(bad.value)} for ${r4Path} (${el4.key}): its R4 required binding allows${list}`);
    return false;
  }

  private groupInto(
    items: Item[],
    el4: KeyedElement,
    el5: KeyedElement,
    rule: ElementRule,
    parent: Json,
    out: Json,
    t5: CompiledType,
    r4Path: string,
    root: Json,
  ): void {
    const wrapperType = R5.types.get(el5.typeName) as CompiledType;
    const inner = wrapperType.byName.get(rule.wrap as string)?.[0];
    const wrapper: Json = structuredClone(rule.with ?? {});
    for (const item of items) {
      const converted = inner && this.item(item, el4.typeName, inner, { ...rule, wrap: undefined }, r4Path, root);
      if (!inner || !converted || !place(wrapper, inner, converted)) {
        this.carry(out, t5, el4, r4Path, item, root, 'has no R5 equivalent', 'warning');
      }
    }
    if (Object.keys(wrapper).length > 0 && !place(parent, el5, { value: wrapper })) {
      this.issue('error', 'structure', items[0]?.path ?? r4Path, `Could not place ${r4Path} into R5 ${el5.key}`);
    }
  }

  private item(
    item: Item,
    fromType: string,
    el5: KeyedElement,
    rule: ElementRule | undefined,
    r4Path: string,
    root: Json,
  ): Converted | undefined {
    if (rule?.wrap) {
      const wrapperType = R5.types.get(el5.typeName) as CompiledType;
      for (const inner of wrapperType.byName.get(rule.wrap) ?? []) {
        const converted = this.item(item, fromType, inner, { ...rule, wrap: undefined, with: undefined }, r4Path, root);
        if (!converted) continue;
        const wrapper: Json = structuredClone(rule.with ?? {});
        place(wrapper, inner, converted);
        return { value: wrapper };
      }
      return undefined;
    }
    if (rule?.transform) {
      return item.value === undefined ? undefined : { value: rule.transform(item.value) };
    }
    let value = item.value;
    let ext = item.ext;
    if (rule?.codes && typeof value === 'string' && rule.codes[value] !== undefined && rule.codes[value] !== value) {
      const original = value;
      const translated = rule.codes[value];
      value = translated;
      if (sharesTarget(rule.codes, translated)) {
        ext = withExtension(ext, { url: xverExtensionUrl(r4Path), valueCode: original });
        this.issue('warning', 'informational', item.path, `${r4Path} code '${original}' translated to '${translated}'; original kept in extension`);
      }
    }
    if (el5.codes && typeof value === 'string' && !el5.codes.has(value)) {
      // An R4 code the R5 required binding dropped (Device.status 'unknown'): the R5 element
      // keeps no value, the extensions say why (data-absent-reason) and what R4 said (xver).
      const kept = withExtension(withExtension(ext, { url: DATA_ABSENT_REASON, valueCode: 'unsupported' }), { url: xverExtensionUrl(r4Path), valueCode: value });
      this.issue('warning', 'informational', item.path, `${r4Path} code '${value}' has no R5 equivalent in the required binding: left without a value, original kept in extension`);
      return { value: undefined, ext: kept };
    }
    return this.bridge(value, ext, fromType, el5.typeName, rule?.system, r4Path, root, item.path);
  }

  /** Converts one value from an R4 type to an R5 type, or undefined when no bridge exists. */
  private bridge(
    value: unknown,
    ext: Json | undefined,
    from: string,
    to: string,
    system: string | undefined,
    r4Path: string,
    root: Json,
    path: string,
  ): Converted | undefined {
    const f = R4.types.get(from);
    const t = R5.types.get(to);
    if (!f || !t) return undefined;
    if (f.kind === 'primitive') {
      const ext5 = ext ? this.complex(ext, f, R5.types.get(t.kind === 'primitive' ? to : from), root, path) : undefined;
      if (t.kind === 'primitive') {
        if (value === undefined || value === null) return ext5 ? { value: undefined, ext: ext5 } : undefined;
        const converted = convertPrimitive(value, f.name, t);
        if (converted === undefined) return undefined;
        if (converted === LOSSY) {
          const kept = withExtension(ext5, { url: xverExtensionUrl(r4Path), [`value${cap(from)}`]: value });
          this.issue('warning', 'informational', path, `${r4Path} (${from}) shortened to R5 ${to}; original kept in extension`);
          return { value: convertPrimitive(value, f.name, t, true), ext: kept };
        }
        return { value: converted, ext: ext5 };
      }
      if (value === undefined || value === null) return undefined;
      const obj = complexFromPrimitive(value, from, to, system);
      if (!obj) return undefined;
      if (ext5?.extension) obj.extension = [...((obj.extension as unknown[]) ?? []), ...(ext5.extension as unknown[])];
      return { value: obj };
    }
    if (!isObject(value)) return undefined;
    if (t.kind === 'resource') return { value: this.resource(value, path) };
    if (from === to || (f.kind === 'backbone' && fitsBackbone(value, t)) || sameShape(from, to)) {
      const obj = this.complex(value, f, t, root, path);
      return obj ? { value: obj } : undefined;
    }
    const wrapKey = COMPLEX_BRIDGES[`${from}>${to}`];
    if (wrapKey) {
      const innerType = wrapKey === 'coding' ? 'Coding' : wrapKey === 'concept' ? 'CodeableConcept' : 'Reference';
      const inner = this.complex(value, f, R5.types.get(innerType), root, path);
      if (!inner) return undefined;
      return { value: { [wrapKey]: wrapKey === 'coding' ? [inner] : inner } };
    }
    return undefined;
  }

  /** Same-shape object conversion; undefined (with a reason) when R5 requires what R4 lacks. */
  private complex(value: Json, f: CompiledType, t: CompiledType | undefined, root: Json, path: string): Json | undefined {
    if (!t) return undefined;
    const out: Json = {};
    this.object(value, f, t, out, root, path);
    const missing = t.required.filter((r) => r.keys.every((k) => out[k] === undefined && out['_' + k] === undefined));
    if (missing.length > 0 && t.kind !== 'primitive') {
      this.refusal = `cannot be represented in R5 ${t.name}: R5 requires ${missing.map((m) => m.name).join(', ')}`;
      return undefined;
    }
    return out;
  }

  private carry(
    out: Json,
    t5: CompiledType,
    el4: KeyedElement,
    r4Path: string,
    item: Item,
    root: Json,
    reason: string,
    severity: 'information' | 'warning',
  ): void {
    const url = xverExtensionUrl(r4Path);
    const extension = this.extensionFor(url, item.value, item.ext, el4.typeName, root, item.path);
    if (!extension) {
      this.issue('error', 'not-supported', item.path, `${r4Path} ${reason} and cannot be carried as an extension`);
      return;
    }
    const slot = el4.modifier && t5.byKey.has('modifierExtension') ? 'modifierExtension' : 'extension';
    ((out[slot] ??= []) as unknown[]).push(extension);
    this.issue(severity, 'informational', item.path, `${r4Path} ${reason}: carried as extension ${url}`);
  }

  /** Cross-version extension holding one R4 value: value[x] when R5 allows the type, else nested. */
  private extensionFor(url: string, value: unknown, ext: Json | undefined, typeName: string, root: Json, path: string): Json | undefined {
    const f = R4.types.get(typeName);
    if (!f || f.kind === 'resource') return undefined;
    const valueKey = `value${cap(typeName)}`;
    if (f.kind === 'primitive' || (f.kind === 'complex' && R5_EXTENSION.byKey.has(valueKey))) {
      const converted = this.bridge(value, ext, typeName, typeName, undefined, url, root, path);
      if (converted) {
        const out: Json = { url };
        if (converted.value !== undefined) out[valueKey] = converted.value;
        if (converted.ext) out[`_${valueKey}`] = converted.ext;
        return out;
      }
      if (f.kind === 'primitive') return undefined;
    }
    if (!isObject(value)) return undefined;
    const out: Json = { url };
    const children: unknown[] = [];
    for (const key in value) {
      if (key === 'id') {
        out.id = value.id;
        continue;
      }
      if (key === 'extension' || key === 'modifierExtension') {
        for (const e of value[key] as unknown[]) {
          const c = this.bridge(e, undefined, 'Extension', 'Extension', undefined, url, root, `${path}.${key}`);
          if (c) children.push(c.value);
        }
        continue;
      }
      const isExt = key.charCodeAt(0) === 95;
      if (isExt && value[key.slice(1)] !== undefined) continue;
      const el = f.byKey.get(isExt ? key.slice(1) : key);
      if (!el) continue;
      const childValue = isExt ? undefined : value[key];
      const childExt = value['_' + el.key];
      for (const item of toItems(el, childValue, childExt, `${path}.${el.key}`)) {
        const child = this.extensionFor(el.name, item.value, item.ext, el.typeName, root, item.path);
        if (child) children.push(child);
      }
    }
    if (children.length > 0) out.extension = children;
    return out;
  }

  private issue(
    severity: OperationOutcomeIssue['severity'],
    code: OperationOutcomeIssue['code'],
    path: string,
    text: string,
  ): void {
    this.issues.push({ severity, code, details: { text }, expression: [path] });
  }
}

/** Complex R4 -> R5 datatype bridges: the R4 value is wrapped under this key of the R5 type. */
const COMPLEX_BRIDGES: Record<string, 'coding' | 'concept' | 'reference'> = {
  'Coding>CodeableConcept': 'coding',
  'CodeableConcept>CodeableReference': 'concept',
  'Reference>CodeableReference': 'reference',
};

const QUANTITY_LIKE = new Set(['Quantity', 'Age', 'Count', 'Distance', 'Duration', 'MoneyQuantity', 'SimpleQuantity']);

function sameShape(from: string, to: string): boolean {
  return QUANTITY_LIKE.has(from) && QUANTITY_LIKE.has(to);
}

/**
 * An R4 backbone converts into an R5 backbone (renamed element) or into an R5 datatype whose
 * elements cover every property present (Organization.contact -> ExtendedContactDetail), never
 * into an unrelated datatype that happens to be allowed (AuditEvent.agent.network -> Reference).
 */
function fitsBackbone(value: Json, t: CompiledType): boolean {
  if (t.kind === 'backbone') return true;
  if (t.kind !== 'complex') return false;
  for (const key in value) {
    if (!t.byKey.has(key.charCodeAt(0) === 95 ? key.slice(1) : key)) return false;
  }
  return true;
}

// The R4 path names and R5 targets of an element depend only on the compiled models, so they are
// computed once; intake converts thousands of resources a second and the strings and arrays
// made per element were a quarter of all it allocated.
const r4Paths = new WeakMap<CompiledType, Map<KeyedElement, string>>();

function r4PathOf(t4: CompiledType, el4: KeyedElement): string {
  let paths = r4Paths.get(t4);
  if (!paths) r4Paths.set(t4, (paths = new Map()));
  let path = paths.get(el4);
  if (path === undefined) paths.set(el4, (path = `${t4.name}.${el4.name}${el4.choice ? '[x]' : ''}`));
  return path;
}

const targetCache = new WeakMap<CompiledType, Map<string, Map<string, readonly KeyedElement[]>>>();

/** R5 elements an R4 element may land in, best first (shared arrays: do not modify). */
function resolveTargets(parent: CompiledType, name: string, suffix: string): readonly KeyedElement[] {
  let byName = targetCache.get(parent);
  if (!byName) targetCache.set(parent, (byName = new Map()));
  let bySuffix = byName.get(name);
  if (!bySuffix) byName.set(name, (bySuffix = new Map()));
  let targets = bySuffix.get(suffix);
  if (!targets) bySuffix.set(suffix, (targets = computeTargets(parent, name, suffix)));
  return targets;
}

function computeTargets(parent: CompiledType, name: string, suffix: string): KeyedElement[] {
  const exact = parent.byKey.get(name + suffix);
  const named = parent.byName.get(name) ?? (suffix ? [] : parent.byKey.has(name) ? [parent.byKey.get(name) as KeyedElement] : []);
  return exact ? [exact, ...named.filter((e) => e !== exact)] : named;
}

function toItems(el: KeyedElement, value: unknown, ext: unknown, path: string): Item[] {
  if (!el.many) return [{ value, ext: isObject(ext) ? ext : undefined, path }];
  const values = Array.isArray(value) ? value : [];
  const exts = Array.isArray(ext) ? ext : [];
  const n = Math.max(values.length, exts.length);
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const e = exts[i];
    items.push({ value: values[i] ?? undefined, ext: isObject(e) ? e : undefined, path: `${path}[${i}]` });
  }
  return items;
}

/** Puts a converted value into an R5 object; false when the single-valued slot is taken. */
function place(parent: Json, el5: KeyedElement, converted: Converted): boolean {
  const key = el5.key;
  const { value, ext } = converted;
  if (el5.many) {
    const arr = (parent[key] ??= []) as unknown[];
    if (arr.length >= el5.max) return false;
    arr.push(value ?? null);
    if (ext !== undefined || parent['_' + key] !== undefined) {
      const exts = (parent['_' + key] ??= []) as unknown[];
      while (exts.length < arr.length - 1) exts.push(null);
      exts.push(ext ?? null);
    }
    return true;
  }
  const current = parent[key];
  if (current === undefined && parent['_' + key] === undefined) {
    if (value !== undefined) parent[key] = value;
    if (ext !== undefined) parent['_' + key] = ext;
    return true;
  }
  if (isObject(current) && isObject(value) && Object.keys(value).every((k) => current[k] === undefined)) {
    Object.assign(current, value);
    return true;
  }
  return false;
}

function withExtension(ext: Json | undefined, extension: Json): Json {
  const out: Json = { ...(ext ?? {}) };
  out.extension = [...((out.extension as unknown[]) ?? []), extension];
  return out;
}

/** A translation loses information only when another R4 code lands on the same R5 code. */
function sharesTarget(codes: Record<string, string>, target: string): boolean {
  let n = 0;
  for (const k in codes) if (codes[k] === target) n++;
  return n > 1;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
