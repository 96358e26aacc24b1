// The @medplum/core that R4 validation runs on: medplum's own validator, with eight performance
// patches applied to its published ESM bundle. Profiling intake showed medplum's validator
// crawler spending most of its time allocating, not checking:
//
//   1. getTypedPropertyValueWithSchema built every choice-of-type candidate name
//      ("value[x]" -> "valueQuantity", "_valueQuantity", ...) with a regex-split capitalize and
//      two string concatenations on every call, for every element of the schema, present or not
//      (23% of validation time). The candidates depend only on the element definition, so they
//      are computed once per definition.
//   2. getNestedProperty split every key on "." and destructured the result, though schema keys
//      almost never hold a dot; a key without one now takes a direct path.
//   3. isPopulated called Object.keys(value) just to learn whether an object has a key.
//   4. isChoiceOfType regex-split every property name into camel-case words on every call; the
//      words of a name are cached (a bounded cache: names come from the input).
//   5. Most elements of a schema are absent from a given resource, and for each the crawler built
//      an "undefined" typed value, a path string and two arrays, only for the validator to note a
//      missing required element. The crawler now asks a visitor that can take it
//      (visitAbsentProperty, which only the validator has) about an absent element directly;
//      absence is decided by the same element lookup and candidate names as before.
//   6. Invariants such as dom-2 "contained.contained.empty()" were evaluated by FHIRPath on every
//      resource, though they are true whenever the elements they test are absent. Those whose
//      shape proves it (a short, reviewed list: medplum-core.test.ts) are now decided by looking
//      at the value; everything else still goes to FHIRPath.
//   7. The crawler built the path string of every element of a schema ("Observation.focus", ...)
//      before learning that most of them are absent; it now builds it for present ones only.
//   8. getNestedProperty with paths copied each typed value with an object spread to add its path;
//      typed values are always { type, value }, so the copy is now a plain three-key literal.
//
// None of them changes what is checked or what is reported: the replaced code computes the same
// values, and a test compares the issues of patched and pristine medplum over valid and broken
// resources (medplum-core.test.ts). Together they take 67-77% off validation (docs/validation.md).
//
// The patches are tied to one exact file: when @medplum/core's bundle is not the one they were
// written for (its SHA-256 differs), the pristine package is used and the reason printed once.
// The patched copy is written next to the native prover's cache, under node_modules/.cache.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** SHA-256 of @medplum/core 4.5.2's dist/esm/index.mjs, the file the patches are written for. */
export const PATCHED_BUNDLE_SHA256 = '875a30bd7ff81973b7761336fa707ef2905379d4794853867206f93cdbd804ea';

/**
 * Each `find` must occur exactly once in the bundle. Minified names are those of 4.5.2. A patch's
 * `prelude` (module-level helpers) is appended to the bundle.
 */
export const PATCHES = [
  {
    name: 'choice-of-type candidates computed once per element definition',
    find: 'function Mo(r,e,t){let n=r.value,i=t.type;if(!i||i.length===0)return;let o,s="undefined",a,c=t.path.lastIndexOf("."),u=t.path.substring(c+1);for(let p of i){let m=u.replace("[x]",k(p.code));if(o=n[m],a=n["_"+m],o!==void 0||a!==void 0){s=p.code;break}}',
    replace:
      'const __clCandidateCache=new WeakMap;' +
      'function __clCandidates(t,i){let C=__clCandidateCache.get(t);' +
      'if(C===void 0||C.types!==i||C.path!==t.path){let c=t.path.lastIndexOf("."),u=t.path.substring(c+1);' +
      'C={types:i,path:t.path,list:i.map(p=>{let m=u.replace("[x]",k(p.code));return{code:p.code,name:m,extension:"_"+m}})};' +
      '__clCandidateCache.set(t,C)}return C.list}' +
      'function Mo(r,e,t){let n=r.value,i=t.type;if(!i||i.length===0)return;let o,s="undefined",a,L=__clCandidates(t,i);' +
      'for(let j=0;j<L.length;j++){let p=L[j];if(o=n[p.name],a=n[p.extension],o!==void 0||a!==void 0){s=p.code;break}}',
  },
  {
    name: 'getNestedProperty: a key without a dot skips split and destructuring',
    find: 'function Me(r,e,t){if(r===void 0)return[void 0];if(e==="$this")return[r];let n=t?.withPath?Co:P,',
    replace:
      'function Me(r,e,t){if(r===void 0)return[void 0];if(e==="$this")return[r];' +
      'if(e.indexOf(".")===-1)return[(t?.withPath?Co:P)(r,e,t)];let n=t?.withPath?Co:P,',
  },
  {
    name: 'isPopulated: test for an own key without allocating Object.keys',
    find: 'function Y(r){if(r==null)return!1;let e=typeof r;return e==="string"&&r!==""||e==="object"&&("length"in r&&r.length>0||Object.keys(r).length>0)}',
    replace:
      'function __clHasOwnKey(r){for(let k in r)if(Object.prototype.hasOwnProperty.call(r,k))return!0;return!1}' +
      'function Y(r){if(r==null)return!1;let e=typeof r;return e==="string"&&r!==""||e==="object"&&("length"in r&&r.length>0||__clHasOwnKey(r))}',
  },
  {
    name: 'isChoiceOfType: camel-case words of a property name cached (bounded)',
    find: 'function Io(r,e,t){let n="";e.startsWith("_")&&(e=e.slice(1),n="_");let i=e.split(/(?=[A-Z])/g),o="";',
    replace:
      'const __clWordCache=new Map;' +
      'function __clWords(e){let c=__clWordCache.get(e);if(c===void 0){c=e.split(/(?=[A-Z])/g);if(__clWordCache.size<4096)__clWordCache.set(e,c)}return c}' +
      'function Io(r,e,t){let n="";e.startsWith("_")&&(e=e.slice(1),n="_");let i=__clWords(e),o="";',
  },
  {
    name: 'crawler: the schema walk passes the parent path, the property path is built only for a present property',
    // It was built for every element of the schema, most of them absent (see the next patch).
    find: 'for(let o of Object.keys(t.elements))this.crawlProperty(e,o,t,`${n}.${o}`);this.visitor.onExitObject&&this.visitor.onExitObject(n,e,t)',
    replace: 'for(let o of Object.keys(t.elements))this.crawlProperty(e,o,t,n,!0);this.visitor.onExitObject&&this.visitor.onExitObject(n,e,t)',
  },
  {
    name: 'crawler: an absent element goes to the visitor\'s visitAbsentProperty when it has one',
    // getNestedProperty(parent, key) finds nothing exactly when every candidate name and its "_"
    // twin are undefined (patch 1's list, from the element getTypedPropertyValue would look up);
    // the crawler then had nothing to descend into. With lazy=true, `i` is the parent's path.
    find: 'crawlProperty(e,t,n,i){let o=Me(e,t,{withPath:!0});this.visitor.visitProperty&&',
    replace:
      'crawlProperty(e,t,n,i,lazy){if(this.visitor.visitAbsentProperty!==void 0&&t.indexOf(".")===-1&&e.value&&typeof e.value=="object"){' +
      'let d=xt(e.type,t,void 0);if(d!==void 0&&d.type&&d.type.length>0){let L=__clCandidates(d,d.type),v=e.value,absent=!0;' +
      'for(let j=0;j<L.length;j++){let p=L[j];if(v[p.name]!==void 0||v[p.extension]!==void 0){absent=!1;break}}' +
      'if(absent){this.visitor.visitAbsentProperty(e,t,n);return}}}' +
      'lazy===!0&&(i=`${i}.${t}`);let o=Me(e,t,{withPath:!0});this.visitor.visitProperty&&',
  },
  {
    name: 'withPath: a typed value ({ type, value }) gains its path without an object spread',
    // Every typed value getTypedPropertyValue returns is built as exactly { type, value } (qn, v
    // and the choice branch of _o), so the spread copied those two keys.
    find: 'function Po(r,e,t){let n=e?e+".":"";return r===void 0?{type:"undefined",value:void 0,path:`${n}${t}`}:Array.isArray(r)?r.map((i,o)=>({...i,path:`${n}${t}[${o}]`})):{...r,path:`${n}${t}`}}',
    replace:
      'function Po(r,e,t){let n=e?e+".":"";return r===void 0?{type:"undefined",value:void 0,path:`${n}${t}`}:' +
      'Array.isArray(r)?r.map((i,o)=>({type:i.type,value:i.value,path:`${n}${t}[${o}]`})):{type:r.type,value:r.value,path:`${n}${t}`}}',
  },
  {
    name: 'validator: visitAbsentProperty does what visitProperty did with an absent value',
    // visitProperty -> checkPresence on { type: "undefined", value: undefined, path: parent.path + "." + key }:
    // a missing required property is reported at that path, and nothing else happens.
    find: 'visitProperty(e,t,n,i,o){let s=o.elements[t];',
    replace:
      'visitAbsentProperty(e,t,o){let s=o.elements[t];if(!s)throw new Error(`Missing element validation schema for ${t}`);' +
      's.min>0&&this.issues.push(T((e.path?e.path+".":"")+t,"Missing required property"))}' +
      'visitProperty(e,t,n,i,o){let s=o.elements[t];',
  },
  {
    name: 'invariants that are true because the elements they test are absent are not evaluated',
    // An invariant of the shape "a.b.empty() or c.empty() and d.where(...).empty() or <anything>"
    // is true when, in one of its top-level "or" terms, every "and" term is
    // "<name>(.<name> | .where(...))*.empty()" and <name> is a plain (not [x]) element of the
    // value's type that the value does not hold: the path then selects nothing (where() of
    // nothing is nothing, its criteria never run) and empty() is true. dom-2, dom-4 and dom-5 (on every
    // resource without contained resources), obs-6 and obs-7 were ~20% of validation. Anything
    // else, or any doubt (quotes, xor, implies, |), goes to medplum's FHIRPath as before.
    find: 'constraintsCheck(e,t){let n=t.constraints;if(n){for(let i of n)if(i.severity==="error"&&!(i.key in Ao)&&!this.isExpressionTrue(i,e)){',
    replace:
      'constraintsCheck(e,t){let n=t.constraints;if(n){for(let i of n)if(i.severity==="error"&&!(i.key in Ao)&&!__clAbsentTrue(i,e)&&!this.isExpressionTrue(i,e)){',
    prelude:
      'const __clAbsentPlans=new WeakMap;' +
      'function __clSplitTop(s,op){let out=[],depth=0,start=0;for(let j=0;j<s.length;j++){let c=s[j];if(c==="(")depth++;else if(c===")")depth--;' +
      'else if(depth===0&&s.startsWith(op,j)){out.push(s.slice(start,j));start=j+op.length;j+=op.length-1}}out.push(s.slice(start));return out}' +
      'function __clAbsentTerm(c){let m=/^[A-Za-z][A-Za-z0-9]*/.exec(c);if(!m)return null;let j=m[0].length;for(;;){' +
      'if(j+8===c.length&&c.startsWith(".empty()",j))return m[0];if(c[j]!==".")return null;j++;' +
      'if(c.startsWith("where(",j)){j+=6;let depth=1;while(j<c.length&&depth>0){if(c[j]==="(")depth++;else if(c[j]===")")depth--;j++}if(depth!==0)return null;continue}' +
      'let n=/^[A-Za-z][A-Za-z0-9]*/.exec(c.slice(j));if(!n)return null;j+=n[0].length}}' +
      'function __clAbsentPlan(x){if(typeof x!=="string"||/["\'`|]| xor | implies /.test(x))return null;let plan=[];' +
      'for(let d of __clSplitTop(x.trim()," or ")){let names=[];for(let c of __clSplitTop(d.trim()," and ")){' +
      'let n=__clAbsentTerm(c.trim());if(n===null){names=null;break}names.push(n)}' +
      'names&&plan.push(names)}return plan.length>0?plan:null}' +
      'function __clAbsentTrue(c,e){let v=e.value;if(v===null||typeof v!=="object"||Array.isArray(v)||typeof e.type!=="string")return!1;' +
      'let p=__clAbsentPlans.get(c);if(p===void 0){p=__clAbsentPlan(c.expression);__clAbsentPlans.set(c,p)}if(p===null)return!1;' +
      'for(let d of p){let all=!0;for(let n of d){if(v[n]!==void 0||v["_"+n]!==void 0){all=!1;break}' +
      'let el=xt(e.type,n,void 0);if(!el||typeof el.path!=="string"||!el.path.endsWith("."+n)){all=!1;break}}if(all)return!0}return!1}',
  },
];

/** The bundle with every patch applied; throws when a patch does not match exactly once. */
export function patchBundle(source) {
  let patched = source;
  for (const patch of PATCHES) {
    const at = patched.indexOf(patch.find);
    if (at < 0 || patched.indexOf(patch.find, at + 1) >= 0) throw new Error(`medplum patch "${patch.name}" does not match`);
    patched = patched.slice(0, at) + patch.replace + patched.slice(at + patch.find.length);
  }
  const preludes = PATCHES.filter((patch) => patch.prelude).map((patch) => patch.prelude);
  return preludes.length > 0 ? `${patched}\n${preludes.join('\n')}\n` : patched;
}

function pristineBundlePath() {
  return join(dirname(require.resolve('@medplum/core')), '..', 'esm', 'index.mjs');
}

/**
 * Writes the patched bundle once (atomically: several workers may start together) under
 * node_modules/.cache, or the system's temporary directory where that is read-only; returns its path.
 */
function patchedBundlePath(source) {
  const patched = patchBundle(source);
  const name = `index-${createHash('sha256').update(patched).digest('hex').slice(0, 16)}.mjs`;
  const dirs = [join(ROOT, 'node_modules', '.cache', 'careledger', 'medplum-core'), join(tmpdir(), 'careledger-medplum-core')];
  let lastError;
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      if (readFileSync(path, 'utf8') === patched) return path;
    } catch {
      // not written yet
    }
    try {
      mkdirSync(dir, { recursive: true });
      const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(temporary, patched);
      renameSync(temporary, path);
      return path;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * Loads the @medplum/core used for R4 validation. `patched` says whether the performance patches
 * are in; `reason` says why not.
 */
export async function loadValidationCore() {
  let reason;
  try {
    const source = readFileSync(pristineBundlePath(), 'utf8');
    const sha = createHash('sha256').update(source).digest('hex');
    if (sha === PATCHED_BUNDLE_SHA256) {
      return { core: await import(pathToFileURL(patchedBundlePath(source)).href), patched: true };
    }
    reason = `@medplum/core's bundle is not the 4.5.2 build the patches were written for (sha256 ${sha.slice(0, 12)}…)`;
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  return { core: await import('@medplum/core'), patched: false, reason };
}
