// Synthetic but realistic v2.5.1 traffic for the HL7 tests and the benchmark: an ADT^A01 admission followed by
// an ORU^R01 with three results per patient, every message with its own control id and every
// patient with its own MRN and visit, so each message stores new resources.

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function admission(i: number): string {
  const mrn = `MRN${pad(i, 7)}`;
  return [
    String.raw`MSH|^~\&|EPIC|GOODHEALTH|CARELEDGER|GOODHEALTH|20240315143000+0100||ADT^A01^ADT_A01|ADT${pad(i, 8)}|P|2.5.1`,
    'EVN|A01|20240315143000+0100',
    `PID|1||${mrn}^^^GOODHEALTH^MR||Patient${i}^Test^Q||19${pad(40 + (i % 60), 2)}0${1 + (i % 9)}1${i % 10}|${i % 2 ? 'F' : 'M'}|||${i} Main St^^Springfield^IL^62701^USA^H||^PRN^PH^^1^217^555${pad(i % 10000, 4)}`,
    `PV1|1|I|WARD${i % 20}^${i % 40}^A^GOODHEALTH||||1234^Smith^Anna^^^Dr|||MED|||||||||V${pad(i, 8)}^^^GOODHEALTH^VN||||||||||||||||||||GOODHEALTH|||||20240315142500+0100`,
  ].join('\r');
}

export function labResult(i: number): string {
  const mrn = `MRN${pad(i, 7)}`;
  return [
    String.raw`MSH|^~\&|LIS|GOODHEALTH|CARELEDGER|GOODHEALTH|20240315103000+0100||ORU^R01^ORU_R01|ORU${pad(i, 8)}|P|2.5.1`,
    `PID|1||${mrn}^^^GOODHEALTH^MR||Patient${i}^Test^Q||19800101|M`,
    `OBR|1|ORD${pad(i, 8)}^EPIC|LAB${pad(i, 8)}^LIS|24323-8^Comprehensive metabolic panel^LN|||20240315080000+0100||||||||||||||||||F`,
    `OBX|1|NM|2345-7^Glucose^LN||${70 + (i % 120)}|mg/dL^mg/dL^UCUM|70-99|${70 + (i % 120) > 99 ? 'H' : 'N'}|||F`,
    `OBX|2|NM|2160-0^Creatinine^LN||${(0.5 + (i % 10) / 10).toFixed(1)}|mg/dL^mg/dL^UCUM|0.7-1.3|N|||F`,
    'OBX|3|ST|8251-1^Service comment^LN||Specimen received in good condition||||||F',
  ].join('\r');
}

/** `count` messages: admissions and lab results alternating, patient by patient. */
export function generateHl7Messages(count: number): string[] {
  return Array.from({ length: count }, (_, n) => (n % 2 === 0 ? admission(n / 2) : labResult((n - 1) / 2)));
}
