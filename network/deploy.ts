// Deploys the consortium's registries once per chain and remembers where in <dataDir>/chain.json.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AbiCoder, Wallet, getAddress } from 'ethers';
import { type ContractArtifact } from '../chaincode/evm/compile.js';
import { artifacts } from '../chaincode/evm/artifacts.js';
import { featureSchemaHash } from '../gateway/cohort/feature-schema.js';
import { createEvmProvider } from '../gateway/ledger/evm/provider.js';
import { TxSender } from '../gateway/ledger/evm/tx-sender.js';
import { type ChainDescriptor, type Hex, MemberRole, type MemberRoleName } from '../gateway/ledger/ports.js';

export interface BootstrapMember {
  orgId: string;
  roles: MemberRoleName[];
  /** The member's first signer; more are added later by vote. */
  signer: Hex;
}

export interface DeployOptions {
  rpcUrl: string;
  chainId: number;
  /** Pays for nothing on a zero-gas chain, but must be allowed to send (Besu accounts allowlist). */
  deployerKey: Hex;
  members: BootstrapMember[];
  /** Seconds a membership proposal stays open; a week by default. */
  votingPeriodSeconds?: number;
  /** Consortium policy for cohort queries: the smallest count ever released; 10 by default. */
  minCellSizeFloor?: number;
  /** Where chain.json is read from and written to. */
  dataDir: string;
  gasPrice?: bigint;
}

export interface ChainFile extends ChainDescriptor {
  /** Block of the AnchorRegistry deployment: where event scans can start. */
  deployedAt: number;
}

export interface DeployResult extends ChainFile {
  /** True when chain.json pointed at contracts that are still on the chain. */
  reused: boolean;
}

const CHAIN_FILE = 'chain.json';
const WEEK = 7 * 24 * 60 * 60;
/** i2b2/SHRINE practice: counts under 10 patients are not released in the clear. */
const DEFAULT_MIN_CELL_SIZE = 10;

export function readChainFile(dataDir: string): ChainFile | null {
  const file = join(dataDir, CHAIN_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ChainFile) : null;
}

/**
 * Deploys ConsortiumRegistry (with the bootstrap members), AnchorRegistry, ConsentRegistry and CohortRegistry
 * (with its three Groth16 verifiers and the agreed feature schema hash), unless chain.json
 * already names contracts with code on this chain (a restart), in which case those are reused.
 * LicenceRegistry and TelehealthRegistry are deployed too, and added to an existing chain that lacks them.
 * So is ClaimRegistry (claim-line fingerprints), which reads the AnchorRegistry.
 */
export async function deployConsortium(options: DeployOptions): Promise<DeployResult> {
  const provider = createEvmProvider({ rpcUrl: options.rpcUrl, chainId: options.chainId, pollingIntervalMs: 250 });
  try {
    const existing = readChainFile(options.dataDir);
    if (existing && existing.chainId === options.chainId) {
      const codes = await Promise.all(Object.values(existing.contracts).map((address) => provider.getCode(address)));
      if (codes.every((code) => code !== '0x')) {
        const contracts = { ...existing.contracts };
        // A chain deployed before ConsentRegistry or CohortRegistry existed gets them added next to
        // the registries it has.
        const sender = senderFor(options, provider);
        contracts.ConsentRegistry ??= (await deploy(sender, artifacts.ConsentRegistry, ['address'], [contracts.ConsortiumRegistry])).address;
        if (!contracts.CohortRegistry) Object.assign(contracts, await deployCohort(sender, contracts.ConsortiumRegistry, options));
        if (!contracts.TelehealthRegistry) Object.assign(contracts, await deployTelehealth(sender, contracts.ConsortiumRegistry, contracts.ConsentRegistry, contracts.LicenceRegistry));
        contracts.ClaimRegistry ??= (await deploy(sender, artifacts.ClaimRegistry, ['address'], [contracts.AnchorRegistry])).address;
        const chainFile = { ...existing, contracts, rpcUrl: options.rpcUrl };
        writeChainFile(options.dataDir, chainFile);
        return { ...chainFile, reused: true };
      }
    }

    const sender = senderFor(options, provider);
    const members = options.members;
    const consortium = await deploy(sender, artifacts.ConsortiumRegistry, ['string[]', 'uint8[]', 'address[]', 'uint64'], [
      members.map((m) => m.orgId),
      members.map((m) => rolesMask(m.roles)),
      members.map((m) => getAddress(m.signer)),
      options.votingPeriodSeconds ?? WEEK,
    ]);
    const anchors = await deploy(sender, artifacts.AnchorRegistry, ['address'], [consortium.address]);
    const consents = await deploy(sender, artifacts.ConsentRegistry, ['address'], [consortium.address]);
    const cohort = await deployCohort(sender, consortium.address, options);
    const telehealth = await deployTelehealth(sender, consortium.address, consents.address);
    const claims = await deploy(sender, artifacts.ClaimRegistry, ['address'], [anchors.address]);
    const chainFile: ChainFile = {
      rpcUrl: options.rpcUrl,
      chainId: options.chainId,
      contracts: { ConsortiumRegistry: consortium.address, AnchorRegistry: anchors.address, ConsentRegistry: consents.address, ...cohort, ...telehealth, ClaimRegistry: claims.address },
      deployedAt: anchors.blockNumber,
    };
    writeChainFile(options.dataDir, chainFile);
    return { ...chainFile, reused: false };
  } finally {
    provider.destroy();
  }
}

function senderFor(options: DeployOptions, provider: ReturnType<typeof createEvmProvider>): TxSender {
  return new TxSender(new Wallet(options.deployerKey, provider), provider, options.chainId, {
    gasPrice: options.gasPrice ?? 0n,
    confirmTimeoutMs: 60_000,
  });
}

export function rolesMask(roles: MemberRoleName[]): number {
  return roles.reduce((mask, role) => mask | MemberRole[role], 0);
}

/** The three Groth16 verifiers and the CohortRegistry that calls them. */
async function deployCohort(sender: TxSender, consortium: Hex, options: DeployOptions): Promise<Record<string, Hex>> {
  const count = await deploy(sender, artifacts.CohortCountVerifier, [], []);
  const release = await deploy(sender, artifacts.ThresholdReleaseVerifier, [], []);
  const eligibility = await deploy(sender, artifacts.EligibilityVerifier, [], []);
  const registry = await deploy(
    sender,
    artifacts.CohortRegistry,
    ['address', 'address', 'address', 'address', 'bytes32', 'uint32'],
    [consortium, count.address, release.address, eligibility.address, `0x${featureSchemaHash()}`, options.minCellSizeFloor ?? DEFAULT_MIN_CELL_SIZE],
  );
  return {
    CohortCountVerifier: count.address,
    ThresholdReleaseVerifier: release.address,
    EligibilityVerifier: eligibility.address,
    CohortRegistry: registry.address,
  };
}

/**
 * LicenceRegistry (unless `licences` names one already) and the TelehealthRegistry that reads the
 * consents and names the licences its joins are checked against.
 */
async function deployTelehealth(sender: TxSender, consortium: Hex, consents: Hex, licences?: Hex): Promise<Record<string, Hex>> {
  const licenceRegistry = licences ?? (await deploy(sender, artifacts.LicenceRegistry, ['address'], [consortium])).address;
  const registry = await deploy(sender, artifacts.TelehealthRegistry, ['address', 'address', 'address'], [consortium, consents, licenceRegistry]);
  return { LicenceRegistry: licenceRegistry, TelehealthRegistry: registry.address };
}

async function deploy(sender: TxSender, artifact: ContractArtifact, types: string[], args: unknown[]) {
  const data = artifact.bytecode + AbiCoder.defaultAbiCoder().encode(types, args).slice(2);
  const receipt = await sender.send(null, data);
  if (!receipt.contractAddress) throw new Error(`deploying ${artifact.contractName} created no contract (tx ${receipt.hash})`);
  return { address: receipt.contractAddress.toLowerCase() as Hex, blockNumber: receipt.blockNumber };
}

function writeChainFile(dataDir: string, chainFile: ChainFile): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, CHAIN_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(chainFile, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
