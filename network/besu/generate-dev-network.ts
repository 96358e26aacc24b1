// Writes the dev consortium's Besu configuration: QBFT genesis for 4 validators, one TOML per
// validator, the local permissioning allowlists and the bootstrap member list. Keys under
// dev-keys/ are created once (random) and kept; everything else is derived from them, so re-running
// this script reproduces the committed files. `npx tsx network/besu/generate-dev-network.ts`
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SigningKey, Wallet, encodeRlp } from 'ethers';

export const besuDir = dirname(fileURLToPath(import.meta.url));
export const keysDir = join(besuDir, 'dev-keys');
export const BESU_CHAIN_ID = 1981;
export const VALIDATOR_COUNT = 4;
const SUBNET = '172.16.239';
export const HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'] as const;

/** The static IP a validator gets on the compose network; the nodes allowlist needs IPs. */
const validatorIp = (n: number) => `${SUBNET}.${10 + n}`;

function devKey(path: string): Wallet {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Wallet.createRandom().privateKey);
  }
  return new Wallet(readFileSync(path, 'utf8').trim());
}

function validatorKey(n: number): Wallet {
  return devKey(join(keysDir, `validator-${n}`, 'key'));
}

/** enode id: the uncompressed secp256k1 public key without its 0x04 prefix. */
export function enodeUrl(n: number): string {
  const publicKey = SigningKey.computePublicKey(validatorKey(n).privateKey, false).slice(4);
  return `enode://${publicKey}@${validatorIp(n)}:30303`;
}

/**
 * QBFT extraData: RLP([32-byte vanity, [validators], no vote, round 0, no seals]), validators in
 * ascending order as Besu keeps them.
 */
function qbftExtraData(validators: string[]): string {
  const sorted = validators.map((v) => v.toLowerCase()).sort();
  return encodeRlp([`0x${'00'.repeat(32)}`, sorted, [], '0x', []]);
}

function main(): void {
  const validators = Array.from({ length: VALIDATOR_COUNT }, (_, i) => validatorKey(i + 1));
  const deployer = devKey(join(keysDir, 'deployer.key'));
  const hospitals = HOSPITALS.map((org) => ({ org, wallet: devKey(join(keysDir, `${org}.key`)) }));

  const genesis = {
    config: {
      chainId: BESU_CHAIN_ID,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      muirGlacierBlock: 0,
      berlinBlock: 0,
      // london is the newest milestone on purpose: contracts are compiled for evmVersion london
      // (chaincode/evm/compile.ts) and anvil runs --hardfork london, so all three agree.
      londonBlock: 0,
      zeroBaseFee: true,
      // EIP-170's 24 KiB, the same limit anvil enforces, so a contract that deploys in dev deploys here.
      contractSizeLimit: 24576,
      qbft: { blockperiodseconds: 2, epochlength: 30000, requesttimeoutseconds: 4 },
    },
    nonce: '0x0',
    timestamp: '0x0',
    gasLimit: '0x1fffffffffffff',
    difficulty: '0x1',
    mixHash: '0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365',
    coinbase: '0x0000000000000000000000000000000000000000',
    alloc: {},
    extraData: qbftExtraData(validators.map((v) => v.address)),
  };
  writeFileSync(join(besuDir, 'genesis.json'), `${JSON.stringify(genesis, null, 2)}\n`);

  const enodes = validators.map((_, i) => enodeUrl(i + 1));
  const accounts = [deployer, ...hospitals.map((h) => h.wallet)].map((w) => w.address.toLowerCase());
  writeFileSync(
    join(besuDir, 'permissions_config.toml'),
    [
      '# Local permissioning allowlists, read by every validator (Besu flags',
      '# permissions-nodes-config-file / permissions-accounts-config-file). Written by',
      '# generate-dev-network.ts. Nodes: the 4 validators. Accounts that may send transactions:',
      '# the deployer and the 3 hospitals\' member keys.',
      `nodes-allowlist=${tomlArray(enodes)}`,
      `accounts-allowlist=${tomlArray(accounts)}`,
      '',
    ].join('\n'),
  );

  for (let n = 1; n <= VALIDATOR_COUNT; n++) {
    writeFileSync(
      join(besuDir, `validator-${n}.toml`),
      [
        `# Besu validator ${n} of the dev consortium (QBFT). Written by generate-dev-network.ts.`,
        'data-path="/opt/besu/data"',
        'genesis-file="/config/genesis.json"',
        `node-private-key-file="/config/dev-keys/validator-${n}/key"`,
        `p2p-host="${validatorIp(n)}"`,
        'p2p-port=30303',
        `bootnodes=${tomlArray(enodes.filter((_, i) => i !== n - 1))}`,
        'sync-mode="FULL"',
        'rpc-http-enabled=true',
        'rpc-http-host="0.0.0.0"',
        'rpc-http-port=8545',
        'rpc-http-api=["ETH","NET","WEB3","QBFT","TXPOOL"]',
        'rpc-http-cors-origins=["*"]',
        'host-allowlist=["*"]',
        '# Zero-gas network: with zeroBaseFee in the genesis, legacy transactions at gas price 0.',
        'min-gas-price=0',
        '# Revert data in receipts and call errors, so clients can decode the custom errors.',
        'revert-reason-enabled=true',
        '# Local allowlists only: Besu removed its on-chain permissioning contracts.',
        'permissions-nodes-config-file-enabled=true',
        'permissions-nodes-config-file="/config/permissions_config.toml"',
        'permissions-accounts-config-file-enabled=true',
        'permissions-accounts-config-file="/config/permissions_config.toml"',
        '',
      ].join('\n'),
    );
  }

  const consortium = {
    chainId: BESU_CHAIN_ID,
    votingPeriodSeconds: 7 * 24 * 60 * 60,
    members: hospitals.map((h) => ({ orgId: h.org, roles: ['HOSPITAL'], signer: h.wallet.address.toLowerCase() })),
  };
  writeFileSync(join(besuDir, 'consortium.json'), `${JSON.stringify(consortium, null, 2)}\n`);
}

function tomlArray(values: string[]): string {
  return `[\n${values.map((v) => `  "${v}",`).join('\n')}\n]`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
