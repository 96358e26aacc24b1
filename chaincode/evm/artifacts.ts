// Written by chaincode/evm/build.ts from contracts/*.sol; run `npm run build:contracts` after
// changing a contract. artifacts.test.ts fails when this file or the JSON is stale.
import type { ContractArtifact } from './compile.js';
import AnchorRegistry from './artifacts/AnchorRegistry.json' with { type: 'json' };
import ConsentRegistry from './artifacts/ConsentRegistry.json' with { type: 'json' };
import ConsortiumRegistry from './artifacts/ConsortiumRegistry.json' with { type: 'json' };

export type ContractName =
  | 'AnchorRegistry'
  | 'ConsentRegistry'
  | 'ConsortiumRegistry';

export const artifacts: Record<ContractName, ContractArtifact> = {
  AnchorRegistry: AnchorRegistry as ContractArtifact,
  ConsentRegistry: ConsentRegistry as ContractArtifact,
  ConsortiumRegistry: ConsortiumRegistry as ContractArtifact,
};
