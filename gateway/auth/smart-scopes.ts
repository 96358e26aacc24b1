// SMART on FHIR resource scopes, v1 (`system/Patient.read`) and v2 (`system/Patient.rs`), reduced
// to one form: a context, a resource type (or `*`) and a set of v2 permission letters. v1 read is
// v2 `rs`, write is `cud`, `*` is `cruds` (SMART App Launch 2.x, "Scopes for requesting FHIR
// resources"). Besides them, a few dedicated scopes (`system/Patient.$erase`) name one
// irreversible or identity-binding staff action each. Pure: no I/O.

export type ScopeContext = 'system' | 'user' | 'patient';

/** One SMART resource scope. `permissions` holds v2 letters in canonical `cruds` order. */
export interface ResourceScope {
  raw: string;
  context: ScopeContext;
  /** A FHIR resource type or `*`. */
  resource: string;
  permissions: string;
  version: 1 | 2;
  /** The `?param=value` part of a v2 scope (granular scope), without the `?`. */
  query?: string;
}

/**
 * Staff actions too grave for any resource scope: SMART has no operation scopes, so a wildcard
 * (`system/*.*`, `system/Patient.cruds`) would otherwise carry them. Each is granted only when a
 * client is registered with it and asks for it by name, and carries no permission letters.
 */
export const DEDICATED_SCOPES = {
  /** Crypto-shred a patient (POST /consent/patients/{id}/erase). */
  erase: 'system/Patient.$erase',
  /** Bind a patient record to a wallet address the patient proved they control. */
  linkWallet: 'system/Patient.$link-wallet',
  /** Mint member JWTs that carry a break-glass reason. */
  breakGlass: 'system/Patient.$break-glass',
} as const;
export type DedicatedScope = (typeof DEDICATED_SCOPES)[keyof typeof DEDICATED_SCOPES];

const DEDICATED = new Set<string>(Object.values(DEDICATED_SCOPES));

function isDedicatedScope(raw: string): raw is DedicatedScope {
  return DEDICATED.has(raw);
}

const CANONICAL = 'cruds';
const V1_PERMISSIONS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
const SCOPE_PATTERN = /^(system|user|patient)\/(\*|[A-Z][A-Za-z]{0,63})\.([a-z*]+)(?:\?(.+))?$/;

/** Parses a resource scope; returns null for anything that is not one (`launch`, `openid`, junk). */
export function parseScope(raw: string): ResourceScope | null {
  // No letters: a dedicated scope permits no resource interaction, and no wildcard reaches it.
  if (isDedicatedScope(raw)) return { raw, context: 'system', resource: raw.slice('system/'.length, raw.indexOf('.')), permissions: '', version: 2 };
  const match = SCOPE_PATTERN.exec(raw);
  if (!match) return null;
  const [, context, resource, permissionText, query] = match;
  const v1 = V1_PERMISSIONS[permissionText];
  if (v1 !== undefined) {
    // v1 scopes have no query syntax.
    if (query !== undefined) return null;
    return { raw, context: context as ScopeContext, resource, permissions: v1, version: 1 };
  }
  if (!isCanonicalPermissionString(permissionText)) return null;
  return {
    raw,
    context: context as ScopeContext,
    resource,
    permissions: permissionText,
    version: 2,
    ...(query !== undefined ? { query } : {}),
  };
}

/** v2 permissions must be a non-empty subsequence of `cruds` (order fixed by the spec, no repeats). */
function isCanonicalPermissionString(text: string): boolean {
  let from = 0;
  for (const letter of text) {
    const at = CANONICAL.indexOf(letter, from);
    if (at < 0) return false;
    from = at + 1;
  }
  return text.length > 0;
}

/** The letters present in both, in canonical order. */
export function intersectPermissions(a: string, b: string): string {
  let out = '';
  for (const letter of CANONICAL) if (a.includes(letter) && b.includes(letter)) out += letter;
  return out;
}

/**
 * Scopes a backend client may hold: system context and no granular query. Granular scopes
 * (`system/Observation.rs?category=laboratory`) are not supported by this node: granting one as
 * if it had no query would widen it, so they are never granted.
 */
export function parseGrantableScope(raw: string): ResourceScope | null {
  const scope = parseScope(raw);
  if (!scope || scope.context !== 'system' || scope.query !== undefined) return null;
  return scope;
}

/**
 * The scopes to grant for a token request: each requested scope narrowed to what the client's
 * registered scopes allow. A requested scope granted in full keeps the client's spelling (v1 stays
 * v1); a narrowed one is expressed in v2 form. Unknown, non-system and granular scopes are dropped.
 */
export function grantScopes(requested: readonly string[], allowed: readonly string[]): string[] {
  const allowedScopes = allowed.map(parseGrantableScope).filter((s): s is ResourceScope => s !== null);
  const granted = new Set<string>();
  for (const raw of requested) {
    const wanted = parseGrantableScope(raw);
    if (!wanted) continue;
    if (isDedicatedScope(raw)) {
      if (allowed.includes(raw)) granted.add(raw);
      continue;
    }
    const partial: string[] = [];
    let full = false;
    for (const permit of allowedScopes) {
      const resource = narrowResource(wanted.resource, permit.resource);
      if (resource === null) continue;
      const permissions = intersectPermissions(wanted.permissions, permit.permissions);
      if (permissions === '') continue;
      if (resource === wanted.resource && permissions === wanted.permissions) {
        full = true;
        break;
      }
      partial.push(`system/${resource}.${permissions}`);
    }
    if (full) granted.add(wanted.raw);
    else for (const scope of partial) granted.add(scope);
  }
  return [...granted];
}

function narrowResource(wanted: string, permitted: string): string | null {
  if (permitted === '*') return wanted;
  if (wanted === '*' || wanted === permitted) return permitted;
  return null;
}

/** Splits an OAuth `scope` parameter (space-delimited, RFC 6749 section 3.3). */
export function splitScopeParameter(scope: string | undefined): string[] {
  if (!scope) return [];
  return [...new Set(scope.split(' ').filter((s) => s.length > 0))];
}
