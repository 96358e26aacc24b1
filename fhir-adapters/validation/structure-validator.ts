import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { CompiledModel, CompiledType, KeyedElement } from './validation-model.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Structural validation of one resource against a compiled model: resource type, element
 * names, JSON shapes, cardinality, choice naming, primitive formats, required elements, and
 * the codes of required bindings the model enumerates. Profiles are out of scope (see
 * docs/validation.md).
 */
export function validateStructure(model: CompiledModel, resource: unknown): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  new StructureWalk(model, issues).resource(resource, '');
  return issues;
}

class StructureWalk {
  constructor(
    private readonly model: CompiledModel,
    private readonly issues: OperationOutcomeIssue[],
  ) {}

  resource(value: unknown, path: string): void {
    if (!isObject(value)) {
      this.error('structure', path || 'Resource', 'A resource must be a JSON object');
      return;
    }
    const resourceType = value.resourceType;
    const type = typeof resourceType === 'string' ? this.model.types.get(resourceType) : undefined;
    if (!type || type.kind !== 'resource' || type.abstract) {
      this.error(
        'structure',
        path || String(resourceType ?? 'Resource'),
        `Unknown resource type ${JSON.stringify(resourceType)} for FHIR ${this.model.fhirVersion}`,
      );
      return;
    }
    this.object(value, type, path ? `${path}` : type.name);
  }

  private object(obj: Record<string, unknown>, type: CompiledType, path: string): void {
    let anyKey = false;
    let choiceSeen: Map<string, string> | undefined;
    for (const key in obj) {
      anyKey = true;
      if (key === 'resourceType' && type.kind === 'resource') continue;
      const value = obj[key];
      let el = type.byKey.get(key);
      if (!el) {
        if (key.charCodeAt(0) === 95 /* _ */) {
          const base = type.byKey.get(key.slice(1));
          const baseType = base && this.model.types.get(base.typeName);
          if (base && baseType?.kind === 'primitive') {
            this.primitiveExtensions(value, obj[base.key], base, baseType, `${path}.${key}`);
            continue;
          }
        }
        this.error('structure', `${path}.${key}`, `Unknown element '${key}' in ${type.name}`);
        continue;
      }
      if (el.choice) {
        choiceSeen ??= new Map();
        const other = choiceSeen.get(el.name);
        if (other !== undefined) {
          this.error('structure', `${path}.${key}`, `Only one of ${el.name}[x] is allowed (also found '${other}')`);
        } else {
          choiceSeen.set(el.name, key);
        }
      }
      this.property(value, el, `${path}.${key}`, obj['_' + key]);
    }
    if (!anyKey) this.error('structure', path, 'An element must have a value or children (empty object)');
    for (const req of type.required) {
      let present = false;
      for (const k of req.keys) {
        if (obj[k] !== undefined || obj['_' + k] !== undefined) {
          present = true;
          break;
        }
      }
      if (!present) this.error('required', `${path}.${req.name}`, `Missing required element '${req.name}' in ${type.name}`);
    }
  }

  private property(value: unknown, el: KeyedElement, path: string, extensions: unknown): void {
    const type = this.model.types.get(el.typeName);
    if (!type) {
      this.error('structure', path, `Element type ${el.typeName} is not defined`);
      return;
    }
    if (el.many) {
      if (!Array.isArray(value)) {
        this.error('structure', path, `Element '${el.key}' repeats: expected a JSON array`);
        return;
      }
      if (value.length === 0) {
        this.error('structure', path, 'Arrays must not be empty');
        return;
      }
      if (value.length > el.max) {
        this.error('structure', path, `Too many values: at most ${el.max}, found ${value.length}`);
      }
      const extArray = Array.isArray(extensions) ? extensions : undefined;
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item === null && type.kind === 'primitive' && isObject(extArray?.[i])) continue;
        this.value(item, type, `${path}[${i}]`);
        if (el.codes) this.code(item, el, `${path}[${i}]`);
      }
      return;
    }
    if (Array.isArray(value)) {
      this.error('structure', path, `Element '${el.key}' does not repeat: expected a single value, found an array`);
      return;
    }
    this.value(value, type, path);
    if (el.codes) this.code(value, el, path);
  }

  private code(value: unknown, el: KeyedElement, path: string): void {
    if (typeof value !== 'string' || (el.codes as ReadonlySet<string>).has(value)) return;
    const allowed = [...(el.codes as ReadonlySet<string>)];
    const list = allowed.length <= 12 ? `: ${allowed.join(', ')}` : ` (${allowed.length} codes)`;
    this.issues.push({
      severity: 'error',
      code: 'code-invalid',
      details: { text: `Invalid code ${JSON.stringify(truncate(value))} for ${el.key}: its required binding allows${list}` },
      expression: [path],
    });
  }

  private value(value: unknown, type: CompiledType, path: string): void {
    if (type.kind === 'primitive') {
      this.primitive(value, type, path);
    } else if (type.kind === 'resource') {
      this.resource(value, path);
    } else if (!isObject(value)) {
      this.error('structure', path, `Expected a JSON object for ${type.name}, found ${jsonKind(value)}`);
    } else {
      this.object(value, type, path);
    }
  }

  private primitive(value: unknown, type: CompiledType, path: string): void {
    const expected = type.json ?? 'string';
    if (typeof value !== expected) {
      this.error('structure', path, `Expected a JSON ${expected} for ${type.name}, found ${jsonKind(value)}`);
      return;
    }
    if (expected === 'number') {
      const n = value as number;
      const ok =
        type.name === 'decimal'
          ? Number.isFinite(n)
          : Number.isInteger(n) &&
            n <= INT32_MAX &&
            n >= (type.name === 'positiveInt' ? 1 : type.name === 'unsignedInt' ? 0 : INT32_MIN);
      if (!ok) this.error('value', path, `Invalid ${type.name}: ${n}`);
      return;
    }
    if (expected === 'string' && type.pattern && !type.pattern.test(value as string)) {
      this.error('value', path, `Invalid ${type.name}: ${JSON.stringify(truncate(value as string))}`);
    }
  }

  private primitiveExtensions(
    value: unknown,
    primitiveValue: unknown,
    el: KeyedElement,
    type: CompiledType,
    path: string,
  ): void {
    if (el.many) {
      if (!Array.isArray(value)) {
        this.error('structure', path, `'_${el.key}' must be an array aligned with '${el.key}'`);
        return;
      }
      if (Array.isArray(primitiveValue) && primitiveValue.length !== value.length) {
        this.error('structure', path, `'_${el.key}' must have as many entries as '${el.key}'`);
      }
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item === null) continue;
        if (!isObject(item)) this.error('structure', `${path}[${i}]`, 'Expected a JSON object or null');
        else this.object(item, type, `${path}[${i}]`);
      }
      return;
    }
    if (!isObject(value)) {
      this.error('structure', path, `Expected a JSON object, found ${jsonKind(value)}`);
      return;
    }
    this.object(value, type, path);
  }

  private error(code: 'structure' | 'value' | 'required', path: string, text: string): void {
    this.issues.push({ severity: 'error', code, details: { text }, expression: [path] });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonKind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
