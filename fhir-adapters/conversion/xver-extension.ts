/**
 * HL7 cross-version extension URL for an R4 element (path as in the R4 definitions, choice
 * elements with [x]), as used by the FHIR cross-version extension packages.
 */
export function xverExtensionUrl(r4ElementPath: string): string {
  return `http://hl7.org/fhir/4.0/StructureDefinition/extension-${r4ElementPath}`;
}

export const XVER_URL_PREFIX = 'http://hl7.org/fhir/4.0/StructureDefinition/extension-';
