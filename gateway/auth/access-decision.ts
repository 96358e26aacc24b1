// Whether a set of granted SMART scopes permits one FHIR interaction. Pure: no I/O.
//
// SMART v2 letters per interaction (SMART App Launch 2.x, "Scopes for requesting FHIR resources"):
//   c: create; r: read, vread, instance history; u: update (and patch); d: delete;
//   s: search and type/system history.

import { parseGrantableScope, type ResourceScope } from './smart-scopes.js';

export type FhirInteraction =
  | 'read'
  | 'vread'
  | 'history'
  | 'search'
  | 'create'
  | 'update'
  | 'delete'
  | 'operation';

export interface AccessOptions {
  /**
   * For `history`: instance history needs `r`, type and system history need `s`. Defaults to
   * `instance`, or `system` when no resource type is given.
   */
  level?: 'instance' | 'type' | 'system';
  /**
   * For `operation`: the v2 letters the operation needs on the resource type (`r` for a read-only
   * operation such as `$receipt`, `d` for `$erase`). SMART defines no operation scopes, so the
   * default fails closed and asks for everything: `cruds`.
   */
  permissions?: string;
}

const LETTERS: Record<Exclude<FhirInteraction, 'history' | 'operation'>, string> = {
  read: 'r',
  vread: 'r',
  search: 's',
  create: 'c',
  update: 'u',
  delete: 'd',
};

/** The v2 permission letters an interaction needs. */
export function requiredPermissions(
  interaction: FhirInteraction,
  resourceType: string | undefined,
  options: AccessOptions = {},
): string {
  // An empty list would permit the operation to anyone holding any token.
  if (interaction === 'operation') return options.permissions || 'cruds';
  if (interaction === 'history') {
    const level = options.level ?? (resourceType === undefined ? 'system' : 'instance');
    return level === 'instance' ? 'r' : 's';
  }
  return LETTERS[interaction];
}

/**
 * True when every required letter is granted on the resource type by some scope. With no
 * resource type (system-level search or history) only `*` scopes count.
 */
export function isPermitted(
  scopes: readonly ResourceScope[],
  resourceType: string | undefined,
  permissions: string,
): boolean {
  for (const letter of permissions) {
    const granted = scopes.some(
      (scope) =>
        (scope.resource === '*' || scope.resource === resourceType) && scope.permissions.includes(letter),
    );
    if (!granted) return false;
  }
  return true;
}

const parsedScopes = new WeakMap<readonly string[], ResourceScope[]>();

/**
 * Parses granted scope strings; strings that are not grantable system scopes are ignored. The
 * result is kept per scopes array: a request's principal is resolved once, so the entries of a
 * batch Bundle (each checked on its own) parse the token's scopes once, not once per entry.
 */
export function parseGrantedScopes(scopes: readonly string[]): readonly ResourceScope[] {
  let parsed = parsedScopes.get(scopes);
  if (!parsed) {
    parsed = scopes.map(parseGrantableScope).filter((s): s is ResourceScope => s !== null);
    parsedScopes.set(scopes, parsed);
  }
  return parsed;
}
