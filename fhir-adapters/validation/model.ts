/**
 * Compact FHIR structure model: the facts a structural validator and a converter need from the
 * StructureDefinitions (element names, types, cardinality, modifier flag, primitive formats),
 * without the narrative and invariants that make the full definitions tens of megabytes.
 */
export type JsonKind = 'string' | 'number' | 'boolean';

export interface ModelElement {
  /** Type codes; several only for choice elements. */
  t: string | string[];
  /** Choice element: `name[x]` in the definitions, stored without the suffix. */
  choice?: true;
  min?: number;
  /** Repeating (max > 1 or *): serialized as a JSON array. */
  many?: true;
  /** Upper bound when it is a number other than 1. */
  max?: number;
  mod?: true;
  /** A `code` with a required binding to a ValueSet the package enumerates: the allowed codes. */
  codes?: string[];
}

export interface ModelType {
  kind: 'resource' | 'complex' | 'primitive' | 'backbone';
  abstract?: true;
  base?: string;
  /** Primitive types only: JSON representation and the spec's lexical regex. */
  json?: JsonKind;
  regex?: string;
  elements: Record<string, ModelElement>;
}

export interface CompactModel {
  fhirVersion: string;
  source: string;
  types: Record<string, ModelType>;
}
