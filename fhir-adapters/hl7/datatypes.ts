// v2 composite data types -> FHIR data types, after the v2-to-FHIR IG's data type maps
// (CX[Identifier], EI[Identifier], CWE[CodeableConcept], XPN[HumanName], XAD[Address],
// XTN[ContactPoint], XCN[Reference]). Each returns undefined when the composite carries nothing
// FHIR could use, so callers can filter instead of emitting empty elements.

import { V2_TABLE } from './code-systems.js';
import type { MappingContext, V2Authority } from './mapping-context.js';
import { Hl7MappingError, describeLocation, type Hl7ErrorLocation } from './mapping-error.js';
import type { V2Composite } from './v2-segment.js';

export interface Coding { system?: string; code?: string; display?: string }
export interface CodeableConcept { coding?: Coding[]; text?: string }
export interface Identifier { use?: string; type?: CodeableConcept; system?: string; value: string }

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))) as T;
}

/** Authority as an HD spread over subcomponents of one component (CX.4, EI is flat: 2-4). */
function authorityOf(composite: V2Composite, component: number): V2Authority {
  return { namespace: composite.get(component, 1), universalId: composite.get(component, 2), universalIdType: composite.get(component, 3) };
}

export function v2TableCode(table: string, code: string, display?: string): CodeableConcept {
  return { coding: [compact({ system: V2_TABLE(table), code, display })] };
}

/** CX -> Identifier; `defaultType` is the v2 table 0203 code used when CX.5 is empty. */
export function cxToIdentifier(ctx: MappingContext, cx: V2Composite, defaultType?: string): Identifier | undefined {
  const value = cx.get(1);
  if (!value) return undefined;
  const typeCode = cx.get(5) || defaultType;
  return compact({
    type: typeCode ? v2TableCode('0203', typeCode) : undefined,
    system: ctx.identifierSystem(authorityOf(cx, 4)),
    value,
  });
}

/** EI (entity id ^ namespace id ^ universal id ^ universal id type) -> Identifier. */
export function eiToIdentifier(ctx: MappingContext, ei: V2Composite, typeCode: string): Identifier | undefined {
  const value = ei.get(1);
  if (!value) return undefined;
  const system = ctx.identifierSystem({ namespace: ei.get(2), universalId: ei.get(3), universalIdType: ei.get(4) });
  return compact({ type: v2TableCode('0203', typeCode), system, value });
}

function cweCoding(ctx: MappingContext, cwe: V2Composite, first: number, defaultSystem?: string): Coding | undefined {
  const code = cwe.get(first);
  if (!code) return undefined;
  const systemName = cwe.get(first + 2);
  const system = systemName ? ctx.codeSystem(systemName) : defaultSystem;
  return compact({ system, code, display: cwe.get(first + 1) });
}

/** CWE/CE/CNE -> CodeableConcept: the identifier triplet, the alternate triplet, and CWE.9
 * (original text) or the display as text when there is no code at all. `defaultSystem` is the
 * system of the HL7 table the field is bound to, used when CWE.3 is empty. */
export function cweToCodeableConcept(ctx: MappingContext, cwe: V2Composite, defaultSystem?: string): CodeableConcept | undefined {
  const coding = [cweCoding(ctx, cwe, 1, defaultSystem), cweCoding(ctx, cwe, 4)].filter((c): c is Coding => c !== undefined);
  const text = cwe.get(9) || (coding.length === 0 ? cwe.get(2) || cwe.get(5) : undefined);
  if (coding.length === 0 && !text) return undefined;
  return compact({ coding, text });
}

/** v2 table 0200 -> name-use, from the IG's ConceptMap. */
const NAME_USE: Record<string, string> = {
  L: 'official', R: 'official', D: 'usual', M: 'maiden', N: 'nickname', BAD: 'old', MSK: 'anonymous', TEMP: 'temp', NAV: 'temp',
};

/** XPN -> HumanName: family (FN.1 surname), given from given name and further given names,
 * suffix from XPN.4 and XPN.6 (degree), prefix XPN.5, use from XPN.7. */
export function xpnToHumanName(xpn: V2Composite): Record<string, unknown> | undefined {
  const family = xpn.get(1, 1);
  const given = [xpn.get(2), ...xpn.get(3).split(/\s+/)].filter(Boolean);
  const prefix = [xpn.get(5)].filter(Boolean);
  const suffix = [xpn.get(4), xpn.get(6)].filter(Boolean);
  if (!family && given.length === 0) return undefined;
  return compact({ use: NAME_USE[xpn.get(7)], family, given, prefix, suffix });
}

/** v2 table 0190 -> address use / type. */
const ADDRESS_USE: Record<string, string> = { H: 'home', B: 'work', O: 'work', C: 'temp', BA: 'old' };
const ADDRESS_TYPE: Record<string, string> = { M: 'postal', SH: 'postal' };

/** XAD -> Address: line from street (SAD.1) and other designation, city, state, postal code,
 * country, district (county/parish, XAD.9). */
export function xadToAddress(xad: V2Composite): Record<string, unknown> | undefined {
  const line = [xad.get(1, 1), xad.get(2)].filter(Boolean);
  const address = compact({
    use: ADDRESS_USE[xad.get(7)],
    type: ADDRESS_TYPE[xad.get(7)],
    line,
    city: xad.get(3),
    district: xad.get(9),
    state: xad.get(4),
    postalCode: xad.get(5),
    country: xad.get(6),
  });
  return Object.keys(address).some((k) => k !== 'use' && k !== 'type') ? address : undefined;
}

/** v2 table 0202 (equipment type) -> contact-point-system; 0201 (use) -> contact-point-use. */
const TELECOM_SYSTEM: Record<string, string> = { PH: 'phone', CP: 'phone', FX: 'fax', BP: 'pager', Internet: 'email', 'X.400': 'email', MD: 'other', TDD: 'other', TTY: 'other' };
const TELECOM_USE: Record<string, string> = { PRN: 'home', ORN: 'home', WPN: 'work', PRS: 'mobile', VHN: 'temp' };

/** XTN -> ContactPoint. The number is XTN.12 (unformatted), else assembled from country, area,
 * local number and extension, else the deprecated XTN.1 free text. */
export function xtnToContactPoint(xtn: V2Composite, defaultUse: 'home' | 'work'): Record<string, unknown> | undefined {
  const equipment = xtn.get(3);
  const useCode = xtn.get(2);
  const email = xtn.get(4);
  const isEmail = useCode === 'NET' || TELECOM_SYSTEM[equipment] === 'email' || (!!email && !xtn.get(7) && !xtn.get(1));
  if (isEmail) {
    const address = email || xtn.get(1);
    return address ? { system: 'email', value: address, use: TELECOM_USE[useCode] ?? defaultUse } : undefined;
  }
  const assembled = [xtn.get(5) && `+${xtn.get(5)}`, xtn.get(6), xtn.get(7)].filter(Boolean).join(' ');
  const number = xtn.get(12) || (xtn.get(7) ? assembled + (xtn.get(8) ? ` ext. ${xtn.get(8)}` : '') : xtn.get(1));
  if (!number) return undefined;
  const use = equipment === 'CP' ? 'mobile' : (TELECOM_USE[useCode] ?? defaultUse);
  return { system: TELECOM_SYSTEM[equipment] ?? 'phone', value: number, use };
}

/** XCN (id ^ family ^ given ...) -> a logical Reference to the person. */
export function xcnToReference(ctx: MappingContext, xcn: V2Composite): Record<string, unknown> | undefined {
  const id = xcn.get(1);
  const display = [xcn.get(6), xcn.get(3), xcn.get(4), xcn.get(2, 1), xcn.get(5)].filter(Boolean).join(' ');
  if (!id && !display) return undefined;
  const identifier = id ? compact({ system: ctx.identifierSystem(authorityOf(xcn, 9)), value: id }) : undefined;
  return compact({ identifier, display });
}

/** ED.2 type of data (table 0191) -> MIME top-level type. */
const MIME_TYPE: Record<string, string> = { AP: 'application', APPLICATION: 'application', TEXT: 'text', IM: 'image', IMAGE: 'image', AU: 'audio', AUDIO: 'audio', MULTIPART: 'multipart' };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** ED (source ^ type of data ^ data subtype ^ encoding ^ data) -> Attachment: a PDF report or
 * scanned image in an OBX or MDM keeps its bytes (Attachment.data is base64). Encoding A/NONE
 * is text (UTF-8 after decoding the message), Hex and Base64 are binary. */
export function edToAttachment(ed: V2Composite, location: Hl7ErrorLocation, title?: string): Record<string, unknown> {
  const type = MIME_TYPE[ed.get(2).toUpperCase()];
  const subtype = ed.get(3).toLowerCase();
  const encoding = ed.get(4).toUpperCase();
  const raw = ed.text(5);
  const bad = (why: string): Hl7MappingError => new Hl7MappingError('bad-value', `${describeLocation(location)} encapsulated data ${why}`, location);
  let data: string;
  if (encoding === 'BASE64') {
    data = raw.replace(/\s+/g, '');
    if (!BASE64.test(data) || data.length % 4 !== 0) throw bad('is not valid Base64');
  } else if (encoding === 'HEX') {
    if (!/^([0-9A-Fa-f]{2})*$/.test(raw)) throw bad('is not valid hex');
    data = Buffer.from(raw, 'hex').toString('base64');
  } else if (encoding === 'A' || encoding === 'NONE' || encoding === '') {
    data = Buffer.from(raw, 'utf8').toString('base64');
  } else {
    throw bad(`has encoding '${encoding}' (A, NONE, Hex, Base64 are known)`);
  }
  if (!data) throw bad('is empty');
  const contentType = type && subtype && subtype !== 'octet-stream' ? `${type}/${subtype}` : type === 'text' ? 'text/plain' : 'application/octet-stream';
  return compact({ contentType, data, title });
}
