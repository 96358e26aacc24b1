// v2 coding system names (CWE.3 / CWE.6, table 0396) -> FHIR code system URIs.

const KNOWN: Record<string, string> = {
  LN: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  UCUM: 'http://unitsofmeasure.org',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  I10C: 'http://hl7.org/fhir/sid/icd-10-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  CPT: 'http://www.ama-assn.org/go/cpt',
  C4: 'http://www.ama-assn.org/go/cpt',
  RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  NDC: 'http://hl7.org/fhir/sid/ndc',
  CVX: 'http://hl7.org/fhir/sid/cvx',
  MVX: 'http://hl7.org/fhir/sid/mvx',
  ISO3166_1: 'urn:iso:std:iso:3166',
};

export const V2_TABLE = (table: string): string => `http://terminology.hl7.org/CodeSystem/v2-${table}`;
export const UCUM = KNOWN.UCUM;

export type CodeSystemResolver = (name: string) => string | undefined;

/** `overrides` lets a site name its local code systems (for example "L" or "99LAB"); anything
 * unknown becomes a stable URN so local codes are still distinguishable from standard ones. */
export function codeSystemResolver(overrides: Readonly<Record<string, string>> = {}): CodeSystemResolver {
  return (name) => {
    const trimmed = name.trim();
    if (!trimmed) return undefined;
    const configured = overrides[trimmed];
    if (configured) return configured;
    const known = KNOWN[trimmed.toUpperCase()];
    if (known) return known;
    const table = /^HL7(\d{4})$/i.exec(trimmed);
    if (table) return V2_TABLE(table[1]);
    return `urn:careledger:hl7:codesystem:${encodeURIComponent(trimmed)}`;
  };
}
