// What a hospital OpenID Connect role or group is worth on this node, as SMART scopes. Console users
// sign in with the hospital's provider, not with a client registered here, so this table is the
// whole of their privilege: a token with no role listed here gets nothing, and no role carries a
// write or a dedicated scope (erase, break-glass, wallet binding). Those stay with registered
// clients, whose key the hospital controls, not with whoever its provider lets sign in. Pure: no I/O.

/** Roles as the provider names them (the value of CONSOLE_OIDC_ROLE_CLAIM), and their scopes. */
export const OIDC_ROLE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  // Hospital IT watches intake and anchoring: anchor Provenance and access AuditEvents, no clinical content.
  'careledger-it': ['system/Provenance.rs', 'system/AuditEvent.rs'],
  // Clinical and records staff read and search every resource type; changes go through the EHR.
  'careledger-staff': ['system/*.rs'],
};

/** The default claim: `groups` is what most providers (Keycloak, Entra ID, Okta, Dex) emit. */
export const DEFAULT_ROLE_CLAIM = 'groups';

/**
 * The roles a token's claims carry at `claimPath` (dotted, e.g. Keycloak's `realm_access.roles`):
 * a string, or an array whose strings are kept.
 */
export function rolesInClaims(claims: Record<string, unknown>, claimPath: string): string[] {
  let value: unknown = claims;
  for (const key of claimPath.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** The union of the mapped roles' scopes, sorted; empty when no role is mapped. */
export function scopesForRoles(roles: readonly string[]): string[] {
  const scopes = new Set<string>();
  for (const role of roles) for (const scope of OIDC_ROLE_SCOPES[role] ?? []) scopes.add(scope);
  return [...scopes].sort();
}
