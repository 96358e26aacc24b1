/**
 * Nullifiers already spent per scope (trial or query id). An eligibility proof is accepted
 * once per (scope, nullifier): the circuit makes the nullifier a function of the patient's
 * secret and the scope only, so a second proof by the same patient for the same scope carries
 * the same nullifier and is refused here, while proofs for other scopes stay unlinkable.
 * The on-chain registry applies the same rule; this is the in-process form of it.
 */
export class NullifierSet {
  private readonly spent = new Map<string, Set<string>>();

  has(scopeId: bigint, nullifier: bigint): boolean {
    return this.spent.get(scopeId.toString())?.has(nullifier.toString()) ?? false;
  }

  /** Records the nullifier; returns false, recording nothing, when it was already spent. */
  spend(scopeId: bigint, nullifier: bigint): boolean {
    const key = scopeId.toString();
    const scope = this.spent.get(key) ?? new Set<string>();
    if (scope.has(nullifier.toString())) return false;
    scope.add(nullifier.toString());
    this.spent.set(key, scope);
    return true;
  }

  size(scopeId: bigint): number {
    return this.spent.get(scopeId.toString())?.size ?? 0;
  }
}
