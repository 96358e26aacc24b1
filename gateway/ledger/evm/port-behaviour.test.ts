// The member, consent and cohort port behaviour suites against the EVM ledger on a real anvil,
// connected the way a node connects: through the factory, as its member key. One consortium for
// the file: hospitals A (EMERGENCY too) and B, researcher R and payer C on accounts 1-4, and the
// licensing board L on account 5 (licence and telehealth suites: A hosts, B is home and invited).
import { describe } from 'vitest';
import { deployedOnce, useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { memberIdOf } from '../../crypto/digest.js';
import { describeCohortPort } from '../cohort-port.behaviour.js';
import { describeConsentPort } from '../consent-port.behaviour.js';
import { connectLedger } from '../factory.js';
import { describeLicencePort } from '../licence-port.behaviour.js';
import { describeTelehealthPort } from '../telehealth-port.behaviour.js';
import { describeMemberPort, type RegisteredMember } from '../member-port.behaviour.js';
import type { Hex, Ledger } from '../ports.js';

const fixture = useEmbeddedChain();
const FLOOR = 5;
const MEMBERS: { orgId: string; roles: RegisteredMember['roles'] }[] = [
  { orgId: 'hospital-a', roles: ['HOSPITAL', 'EMERGENCY'] },
  { orgId: 'hospital-b', roles: ['HOSPITAL'] },
  { orgId: 'research-r', roles: ['RESEARCHER'] },
  { orgId: 'payer-c', roles: ['PAYER'] },
  { orgId: 'licensing-l', roles: ['LICENSING'] },
];

const consortium = deployedOnce(fixture, MEMBERS, { minCellSizeFloor: FLOOR });

/** The ledger of member `index` of MEMBERS. */
async function ledgerOf(index: number): Promise<Ledger> {
  const { chain } = fixture();
  return connectLedger({ kind: 'evm', ...(await consortium()), privateKey: chain.accounts[index + 1]!.privateKey, pollingIntervalMs: 50 });
}

describe('EVM ledger on the embedded anvil chain', () => {
  describeMemberPort('EVM', async () => {
    const ledger = await ledgerOf(0);
    const { chain } = fixture();
    const members = MEMBERS.map((m, i) => ({ ...m, signer: chain.accounts[i + 1]!.address.toLowerCase() as Hex }));
    return { port: ledger.members, members, close: ledger.close };
  });

  describeConsentPort('EVM', async () => {
    const ledger = await ledgerOf(0);
    return { port: ledger.consents!, self: memberIdOf('hospital-a'), grantee: memberIdOf('hospital-b'), close: ledger.close };
  });

  describeLicencePort('EVM', async () => {
    const [board, payer] = await Promise.all([ledgerOf(4), ledgerOf(3)]);
    return {
      port: board.licences!,
      self: memberIdOf('licensing-l'),
      unlicensed: payer.licences!,
      close: async () => {
        await board.close();
        await payer.close();
      },
    };
  });

  describeTelehealthPort('EVM', async () => {
    const [host, other] = await Promise.all([ledgerOf(0), ledgerOf(1)]);
    return {
      host: host.telehealth!,
      hostMember: memberIdOf('hospital-a'),
      consents: host.consents!,
      otherHospital: memberIdOf('hospital-b'),
      other: other.telehealth!,
      licenceRegistry: (await consortium()).contracts.LicenceRegistry!,
      close: async () => {
        await host.close();
        await other.close();
      },
    };
  });

  describeCohortPort('EVM', async () => {
    const [hospital, researcher] = await Promise.all([ledgerOf(1), ledgerOf(2)]);
    return {
      hospital: hospital.cohorts!,
      hospitalMember: memberIdOf('hospital-b'),
      researcher: researcher.cohorts!,
      floor: FLOOR,
      close: async () => {
        await hospital.close();
        await researcher.close();
      },
    };
  });
});
