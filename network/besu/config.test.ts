// Docker cannot run in CI, so the Besu network and compose file are checked as data: the genesis
// really names the committed validators, the TOML configs say what the design requires, and every
// file the compose file mounts or builds from exists.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, decodeRlp } from 'ethers';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EVM_VERSION } from '../../chaincode/evm/compile.js';
import { BESU_CHAIN_ID, HOSPITALS, VALIDATOR_COUNT, besuDir, enodeUrl, keysDir } from './generate-dev-network.js';

const repoRoot = join(besuDir, '..', '..');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const keyAddress = (path: string) => new Wallet(readFileSync(path, 'utf8').trim()).address.toLowerCase();
const validatorAddresses = Array.from({ length: VALIDATOR_COUNT }, (_, i) => keyAddress(join(keysDir, `validator-${i + 1}`, 'key')));
const MILESTONES = ['berlinBlock', 'londonBlock', 'shanghaiTime', 'cancunTime', 'pragueTime'];

describe('Besu QBFT genesis', () => {
  const genesis = readJson(join(besuDir, 'genesis.json'));

  it('configures QBFT with 2 s blocks, zero base fee and the EIP-170 size limit', () => {
    expect(genesis.config.chainId).toBe(BESU_CHAIN_ID);
    expect(genesis.config.qbft).toMatchObject({ blockperiodseconds: 2, epochlength: 30000 });
    expect(genesis.config.ibft2).toBeUndefined();
    expect(genesis.config.zeroBaseFee).toBe(true);
    expect(genesis.config.contractSizeLimit).toBe(24576);
    expect(genesis.mixHash).toBe('0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365');
  });

  it('runs exactly up to the milestone the contracts are compiled for', () => {
    const active = MILESTONES.filter((m) => m in genesis.config);
    expect(EVM_VERSION).toBe('london');
    expect(active).toEqual(['berlinBlock', 'londonBlock']);
    expect(genesis.config.londonBlock).toBe(0);
  });

  it('has extraData that decodes to the 4 committed validator addresses', () => {
    const [vanity, validators, vote, round, seals] = decodeRlp(genesis.extraData) as [string, string[], string[], string, string[]];
    expect(vanity).toBe(`0x${'00'.repeat(32)}`);
    expect(validators).toEqual([...validatorAddresses].sort());
    expect(validators).toHaveLength(4);
    expect([vote, round, seals]).toEqual([[], '0x', []]);
  });
});

describe('Besu node configs', () => {
  const permissions = parseToml(readFileSync(join(besuDir, 'permissions_config.toml'), 'utf8')) as Record<string, string[]>;

  it('allowlists the 4 validators as nodes and the deployer and hospitals as accounts', () => {
    expect(permissions['nodes-allowlist']).toEqual(validatorAddresses.map((_, i) => enodeUrl(i + 1)));
    expect(permissions['accounts-allowlist']).toEqual(
      ['deployer', ...HOSPITALS].map((name) => keyAddress(join(keysDir, `${name}.key`))),
    );
  });

  for (let n = 1; n <= VALIDATOR_COUNT; n++) {
    it(`validator-${n}.toml: zero gas, http rpc, local allowlists, its own key and allowlisted bootnodes`, () => {
      const config = parseToml(readFileSync(join(besuDir, `validator-${n}.toml`), 'utf8')) as Record<string, unknown>;
      expect(config).toMatchObject({
        'min-gas-price': 0,
        'rpc-http-enabled': true,
        'rpc-http-port': 8545,
        'permissions-nodes-config-file-enabled': true,
        'permissions-accounts-config-file-enabled': true,
        'permissions-nodes-config-file': '/config/permissions_config.toml',
        'permissions-accounts-config-file': '/config/permissions_config.toml',
        'genesis-file': '/config/genesis.json',
        'node-private-key-file': `/config/dev-keys/validator-${n}/key`,
      });
      expect(Object.keys(config).some((k) => k.includes('smart-contract'))).toBe(false);
      expect(config['rpc-http-api']).toEqual(expect.arrayContaining(['ETH', 'NET', 'QBFT']));
      const bootnodes = config.bootnodes as string[];
      expect(bootnodes).toHaveLength(VALIDATOR_COUNT - 1);
      expect(bootnodes).not.toContain(enodeUrl(n));
      for (const enode of bootnodes) expect(permissions['nodes-allowlist']).toContain(enode);
    });
  }

  it('bootstraps the 3 hospitals with their own keys', () => {
    const consortium = readJson(join(besuDir, 'consortium.json'));
    expect(consortium.chainId).toBe(BESU_CHAIN_ID);
    expect(consortium.members).toEqual(
      HOSPITALS.map((org) => ({ orgId: org, roles: ['HOSPITAL'], signer: keyAddress(join(keysDir, `${org}.key`)) })),
    );
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'));
  const services = compose.services as Record<string, any>;

  it('has 4 validators, a deploy job, 3 hospital gateways and a KRaft Kafka broker', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['deploy', 'hospital-a', 'hospital-b', 'hospital-c', 'kafka', 'validator-1', 'validator-2', 'validator-3', 'validator-4'],
    );
    for (let n = 1; n <= VALIDATOR_COUNT; n++) {
      const validator = services[`validator-${n}`];
      expect(validator.image).toMatch(/^hyperledger\/besu:\d+\.\d+\.\d+$/);
      expect(validator.command).toEqual([`--config-file=/config/validator-${n}.toml`]);
      const ip = validator.networks.careledger.ipv4_address;
      expect(enodeUrl(n)).toContain(`@${ip}:30303`);
    }
    expect(services.kafka.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(services.kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(services.deploy.restart).toBe('no');
    expect(services.deploy.environment.CHAIN_ID).toBe(String(BESU_CHAIN_ID));
  });

  it('points each gateway at a validator, the deployed chain.json and its own key', () => {
    for (const org of HOSPITALS) {
      const gateway = services[org];
      expect(gateway.environment).toMatchObject({
        CARELEDGER_ORG_ID: org,
        CHAIN_ID: String(BESU_CHAIN_ID),
        CHAIN_FILE: '/shared/chain.json',
        MEMBER_KEY_FILE: `/keys/${org}.key`,
        KAFKA_BROKERS: 'kafka:9092',
      });
      expect(gateway.environment.CHAIN_RPC_URL).toMatch(/^http:\/\/validator-\d:8545$/);
      expect(services[gateway.environment.CHAIN_RPC_URL.slice(7, 18)]).toBeDefined();
      expect(gateway.depends_on.deploy.condition).toBe('service_completed_successfully');
      expect(gateway.volumes).toContain('chain-info:/shared:ro');
    }
  });

  it('publishes distinct host ports', () => {
    const ports = Object.values(services).flatMap((s) => (s.ports ?? []).map((p: string) => p.split(':')[0]));
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('references only files that exist and volumes it declares', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) {
        expect(existsSync(join(repoRoot, service.build.context, service.build.dockerfile)), `${name} dockerfile`).toBe(true);
      }
      for (const volume of service.volumes ?? []) {
        const source = (volume as string).split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(join(repoRoot, source)), `${name} mounts ${source}`).toBe(true);
        else expect(compose.volumes, `${name} volume ${source}`).toHaveProperty(source);
      }
    }
    const hostFile = (containerPath: string, mounts: string[]) => {
      for (const mount of mounts) {
        const [source, target] = mount.split(':') as [string, string];
        if (source.startsWith('.') && containerPath.startsWith(`${target}/`)) return join(repoRoot, source, containerPath.slice(target.length));
      }
      return null;
    };
    // Paths the containers read inside bind mounts: Besu's config files and the key files.
    for (let n = 1; n <= VALIDATOR_COUNT; n++) {
      const config = parseToml(readFileSync(join(besuDir, `validator-${n}.toml`), 'utf8')) as Record<string, string>;
      const mounts = services[`validator-${n}`].volumes;
      for (const key of ['genesis-file', 'node-private-key-file', 'permissions-nodes-config-file', 'permissions-accounts-config-file']) {
        expect(existsSync(hostFile(config[key]!, mounts)!), `validator-${n} ${key}`).toBe(true);
      }
    }
    for (const key of ['DEPLOYER_KEY_FILE', 'CONSORTIUM_FILE']) {
      expect(existsSync(hostFile(services.deploy.environment[key], services.deploy.volumes)!), `deploy ${key}`).toBe(true);
    }
    for (const org of HOSPITALS) {
      expect(existsSync(hostFile(services[org].environment.MEMBER_KEY_FILE, services[org].volumes)!), `${org} key`).toBe(true);
    }
    expect(existsSync(join(repoRoot, 'network/deploy-command.ts'))).toBe(true);
    expect(existsSync(join(repoRoot, 'network/docker/gateway-entrypoint.sh'))).toBe(true);
  });
});
