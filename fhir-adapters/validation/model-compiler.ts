import type { ElementDefinition, ElementDefinitionType, StructureDefinition } from '@medplum/fhirtypes';
import type { CompactModel, ModelElement, ModelType } from './model.js';
import type { RequiredCodes } from './required-codes.js';

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const REGEX_EXT = 'http://hl7.org/fhir/StructureDefinition/regex';

/** Primitive types carried as JSON numbers/booleans; every other primitive is a JSON string. */
const NUMBER_TYPES = new Set(['decimal', 'integer', 'positiveInt', 'unsignedInt']);

/**
 * Reduces base StructureDefinitions (snapshots) to a CompactModel. Only specializations are
 * read: profiles and extension definitions constrain, they do not define the base structure.
 */
export function compileModel(
  definitions: readonly StructureDefinition[],
  fhirVersion: string,
  source: string,
  requiredCodes?: RequiredCodes,
): CompactModel {
  const types: Record<string, ModelType> = {};
  for (const sd of definitions) {
    if (sd.derivation === 'constraint' || sd.kind === 'logical') continue;
    if (sd.kind !== 'resource' && sd.kind !== 'complex-type' && sd.kind !== 'primitive-type') continue;
    compileDefinition(sd, types, requiredCodes);
  }
  const sorted: Record<string, ModelType> = {};
  for (const name of Object.keys(types).sort()) sorted[name] = types[name];
  return { fhirVersion, source, types: sorted };
}

function compileDefinition(sd: StructureDefinition, types: Record<string, ModelType>, requiredCodes: RequiredCodes | undefined): void {
  const elements = sd.snapshot?.element ?? [];
  const name = sd.type ?? sd.id ?? '';
  const kind = sd.kind === 'resource' ? 'resource' : sd.kind === 'primitive-type' ? 'primitive' : 'complex';
  const root: ModelType = { kind, elements: {} };
  if (sd.abstract) root.abstract = true;
  if (sd.baseDefinition) root.base = sd.baseDefinition.slice(sd.baseDefinition.lastIndexOf('/') + 1);
  types[name] = root;

  // Backbone paths are discovered from children: any element with a child defines a type.
  const parents = new Set<string>();
  for (const el of elements) {
    const path = el.path ?? '';
    const dot = path.lastIndexOf('.');
    if (dot > 0) parents.add(path.slice(0, dot));
  }

  for (const el of elements) {
    const path = el.path ?? '';
    const dot = path.lastIndexOf('.');
    if (dot < 0) continue;
    const parentPath = path.slice(0, dot);
    const elementName = path.slice(dot + 1);
    if (kind === 'primitive' && elementName === 'value') {
      const t = el.type?.[0];
      root.json = name === 'integer64' ? 'string' : NUMBER_TYPES.has(name) ? 'number' : name === 'boolean' ? 'boolean' : 'string';
      const regex = t?.extension?.find((e) => e.url === REGEX_EXT)?.valueString;
      if (regex) root.regex = regex;
      continue;
    }
    const owner = parentPath === name ? root : ensureBackbone(types, parentPath);
    const element = compileElement(el, path, parents);
    // An element's id (not a resource's) is a string, not an id: ElementDefinition.id is a path
    // such as `Extension.value[x]` or `Observation.component:systolic`, which FHIR's id type
    // (64 characters of [A-Za-z0-9.-]) would refuse. Some packages tag it with the id type.
    if (elementName === 'id' && !(kind === 'resource' && owner === root)) element.t = 'string';
    const binding = el.binding;
    if (requiredCodes && element.t === 'code' && binding?.strength === 'required' && binding.valueSet) {
      const codes = requiredCodes(binding.valueSet);
      if (codes) element.codes = codes;
    }
    owner.elements[stripChoice(elementName)] = element;
  }
}

function ensureBackbone(types: Record<string, ModelType>, path: string): ModelType {
  let t = types[path];
  if (!t) {
    t = { kind: 'backbone', elements: {} };
    types[path] = t;
  }
  return t;
}

function stripChoice(name: string): string {
  return name.endsWith('[x]') ? name.slice(0, -3) : name;
}

function compileElement(el: ElementDefinition, path: string, parents: Set<string>): ModelElement {
  const out: ModelElement = { t: '' };
  if (el.contentReference) {
    out.t = el.contentReference.slice(el.contentReference.indexOf('#') + 1);
  } else if (parents.has(path)) {
    out.t = path;
  } else {
    const codes = (el.type ?? []).map(typeCode);
    out.t = codes.length === 1 ? codes[0] : codes;
  }
  if (path.endsWith('[x]')) out.choice = true;
  if (el.min) out.min = el.min;
  if (el.max !== '1' && el.max !== '0') {
    out.many = true;
    if (el.max !== '*' && el.max !== undefined) out.max = Number(el.max);
  }
  if (el.max === '0') out.max = 0;
  if (el.isModifier) out.mod = true;
  return out;
}

function typeCode(t: ElementDefinitionType): string {
  const code = t.code ?? '';
  if (!code.startsWith('http://hl7.org/fhirpath/System.')) return code;
  const fhirType = t.extension?.find((e) => e.url === FHIR_TYPE_EXT)?.valueUrl;
  return fhirType ?? 'string';
}

