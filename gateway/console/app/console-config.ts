// What the node tells the console about itself before sign-in (GET /console/api/config).

export interface ConsoleConfig {
  orgId: string;
  dev: boolean;
  fhirBase: string;
  chain: { kind: string; chainId: number; rpcUrl: string | null; explorerTxUrl: string | null };
  signIn: { dev: boolean; oidc: { issuer: string; clientId: string; scopes: string } | null };
}

/** A transaction as a link when the node configured an explorer (CONSOLE_EXPLORER_TX_URL with `{tx}`). */
export function transactionUrl(config: ConsoleConfig, txHash: string): string | null {
  return config.chain.explorerTxUrl ? config.chain.explorerTxUrl.replace('{tx}', encodeURIComponent(txHash)) : null;
}
