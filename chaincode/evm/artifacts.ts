// Written by chaincode/evm/build.ts from contracts/*.sol; run `npm run build:contracts` after
// changing a contract. artifacts.test.ts fails when this file or the JSON is stale.
import type { ContractArtifact } from './compile.js';
import AnchorRegistry from './artifacts/AnchorRegistry.json' with { type: 'json' };
import CohortCountVerifier from './artifacts/CohortCountVerifier.json' with { type: 'json' };
import CohortRegistry from './artifacts/CohortRegistry.json' with { type: 'json' };
import ConsentRegistry from './artifacts/ConsentRegistry.json' with { type: 'json' };
import ConsortiumRegistry from './artifacts/ConsortiumRegistry.json' with { type: 'json' };
import EligibilityVerifier from './artifacts/EligibilityVerifier.json' with { type: 'json' };
import ThresholdReleaseVerifier from './artifacts/ThresholdReleaseVerifier.json' with { type: 'json' };

export type ContractName =
  | 'AnchorRegistry'
  | 'CohortCountVerifier'
  | 'CohortRegistry'
  | 'ConsentRegistry'
  | 'ConsortiumRegistry'
  | 'EligibilityVerifier'
  | 'ThresholdReleaseVerifier';

export const artifacts: Record<ContractName, ContractArtifact> = {
  AnchorRegistry: AnchorRegistry as ContractArtifact,
  CohortCountVerifier: CohortCountVerifier as ContractArtifact,
  CohortRegistry: CohortRegistry as ContractArtifact,
  ConsentRegistry: ConsentRegistry as ContractArtifact,
  ConsortiumRegistry: ConsortiumRegistry as ContractArtifact,
  EligibilityVerifier: EligibilityVerifier as ContractArtifact,
  ThresholdReleaseVerifier: ThresholdReleaseVerifier as ContractArtifact,
};
