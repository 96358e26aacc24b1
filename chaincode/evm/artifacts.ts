// Written by chaincode/evm/build.ts from contracts/*.sol; run `npm run build:contracts` after
// changing a contract. artifacts.test.ts fails when this file or the JSON is stale.
import type { ContractArtifact } from './compile.js';
import AnchorRegistry from './artifacts/AnchorRegistry.json' with { type: 'json' };
import ClaimRegistry from './artifacts/ClaimRegistry.json' with { type: 'json' };
import CohortCountVerifier from './artifacts/CohortCountVerifier.json' with { type: 'json' };
import CohortRegistry from './artifacts/CohortRegistry.json' with { type: 'json' };
import ConsentRegistry from './artifacts/ConsentRegistry.json' with { type: 'json' };
import ConsortiumRegistry from './artifacts/ConsortiumRegistry.json' with { type: 'json' };
import EligibilityVerifier from './artifacts/EligibilityVerifier.json' with { type: 'json' };
import LicenceRegistry from './artifacts/LicenceRegistry.json' with { type: 'json' };
import TelehealthRegistry from './artifacts/TelehealthRegistry.json' with { type: 'json' };
import ThresholdReleaseVerifier from './artifacts/ThresholdReleaseVerifier.json' with { type: 'json' };

export type ContractName =
  | 'AnchorRegistry'
  | 'ClaimRegistry'
  | 'CohortCountVerifier'
  | 'CohortRegistry'
  | 'ConsentRegistry'
  | 'ConsortiumRegistry'
  | 'EligibilityVerifier'
  | 'LicenceRegistry'
  | 'TelehealthRegistry'
  | 'ThresholdReleaseVerifier';

export const artifacts: Record<ContractName, ContractArtifact> = {
  AnchorRegistry: AnchorRegistry as ContractArtifact,
  ClaimRegistry: ClaimRegistry as ContractArtifact,
  CohortCountVerifier: CohortCountVerifier as ContractArtifact,
  CohortRegistry: CohortRegistry as ContractArtifact,
  ConsentRegistry: ConsentRegistry as ContractArtifact,
  ConsortiumRegistry: ConsortiumRegistry as ContractArtifact,
  EligibilityVerifier: EligibilityVerifier as ContractArtifact,
  LicenceRegistry: LicenceRegistry as ContractArtifact,
  TelehealthRegistry: TelehealthRegistry as ContractArtifact,
  ThresholdReleaseVerifier: ThresholdReleaseVerifier as ContractArtifact,
};
