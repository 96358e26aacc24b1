// ethers imports @adraffy/ens-normalize for ENS names (~33 KB gzip, a third of the chain chunk). A
// consortium chain has no ENS: every contract and member is a hex address pinned in the trust
// file, and ethers calls ens_normalize only when handed a name. The console's vite config aliases
// the package to this file, so a name reaching it fails loudly instead of resolving.
export function ens_normalize(name: string): string {
  throw new Error(`ENS names are not resolved on a consortium chain (given ${JSON.stringify(name)}): use the pinned hex address`);
}
