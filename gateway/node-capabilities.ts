// The one list of a node's capabilities. Adding one (telehealth, claims...) is one entry here:
// a factory that takes what the node has and returns a Capability (gateway/capability.ts), or
// null when the chain does not offer it. The order is the order they are created, started and
// have their routes registered; they stop in reverse. gateway/node.ts composes the list.

import { prepareAdapters } from './adapters/node-adapters.js';
import { ADAPTERS_HEALTH_SCHEMA } from './adapters/adapters-health-schema.js';
import type { ReceiptService } from './anchoring/receipt-service.js';
import type { CapabilityFactory, CreatedCapabilities } from './capability-set.js';
import { createClaimsCapability } from './claims/claims-capability.js';
import { fingerprintsOffReason, nodeFingerprintRegistrar } from './claims/node-fingerprints.js';
import { startCohortCapability } from './cohort/cohort-capability.js';
import type { NodeConfig } from './config.js';
import { startConsentCapability } from './consent/consent-capability.js';
import { createConsoleCapability } from './console/console-capability.js';
import type { IntakePipeline } from './intake/pipeline.js';
import type { NodeKeys } from './keys/node-keys.js';
import type { ChainConnection } from './ledger/chain-connection.js';
import type { Hex } from './ledger/ports.js';
import { FHIR_BASE } from './server/fhir-bases.js';
import { openAdapterStores } from './store/adapter-stores.js';
import { openConsentTables } from './store/consent-store.js';
import { openTelehealthTables } from './store/telehealth-store.js';
import type { Db } from './store/database.js';
import { LiveResourceIndex } from './store/live-resource-index.js';
import type { Vault } from './store/vault.js';
import { ConsultsElsewhere } from './telehealth/consults-elsewhere.js';
import { PatientConsults } from './telehealth/patient-consults.js';
import { startTelehealthCapability } from './telehealth/telehealth-capability.js';

/** What a node has when its capabilities are made: its stores are opened here, from `db`. */
export interface NodeContext {
  config: NodeConfig;
  db: Db;
  keys: NodeKeys;
  chain: ChainConnection;
  vault: Vault;
  /** The node's resource service: the intake pipeline in front of the resource store. */
  store: IntakePipeline;
  receipts: ReceiptService;
  resourceTypes: readonly string[];
}

export const NODE_CAPABILITIES = {
  /** Patient consent and member access, when the chain has a ConsentRegistry. */
  consent: async ({ config, db, keys, chain, vault, store }: NodeContext) => {
    if (!chain.consents) return null;
    const consent = await startConsentCapability({
      tables: openConsentTables(db, vault),
      vault,
      store,
      consents: chain.consents,
      members: chain.members,
      self: { memberId: chain.memberId, orgId: config.orgId, signerKey: keys.memberWallet.privateKey },
      audiences: [config.publicUrl, `${config.publicUrl}${FHIR_BASE}`],
      consults: new PatientConsults(
        openTelehealthTables(db),
        store,
        new ConsultsElsewhere({
          memberUrls: config.telehealthRecords.memberUrls,
          self: { memberId: chain.memberId, signerKey: keys.memberWallet.privateKey },
          members: chain.members,
        }),
      ),
    });
    return { ...consent, start: consent.useLogger, stop: consent.close };
  },

  /** Zero-knowledge cohort queries and trial eligibility, when the chain has a CohortRegistry. */
  cohort: async ({ config, db, keys, chain, store }: NodeContext) => {
    if (!chain.cohorts) return null;
    const cohort = await startCohortCapability({
      records: new LiveResourceIndex(db),
      store,
      masterKey: keys.masterKey,
      cohorts: chain.cohorts,
      members: chain.members,
      self: { memberId: chain.memberId, signer: keys.memberWallet.address.toLowerCase() as Hex },
      zkProver: config.zkProver,
    });
    return { ...cohort, stop: cohort.close };
  },

  /** The EHR adapters configured in `config.adapters` (HL7 v2, Kafka, REST sync, Subscriptions, Bulk). */
  adapters: async ({ config, db, keys, store, receipts, resourceTypes }: NodeContext) => {
    const adapters = prepareAdapters({ config, stores: openAdapterStores(db, keys.masterKey), store, receipts, masterKey: keys.masterKey, resourceTypes });
    return { ...adapters, healthSchema: ADAPTERS_HEALTH_SCHEMA, stop: adapters.close };
  },

  /** Cross-institution telehealth consults, when the chain has a TelehealthRegistry (and the ConsentRegistry it reads). */
  telehealth: async ({ config, db, keys, chain, vault, store }: NodeContext) => {
    if (!chain.telehealth || !chain.consents) return null;
    return startTelehealthCapability({
      config: { publicUrl: config.publicUrl, telehealthRecords: config.telehealthRecords, turn: config.telehealthTurn, relay: config.telehealthRelay },
      db,
      masterKey: keys.masterKey,
      vault,
      store,
      chain: {
        memberId: chain.memberId,
        chainId: chain.descriptor.chainId,
        members: chain.members,
        consents: chain.consents,
        telehealth: chain.telehealth,
        licences: chain.licences,
      },
      self: { orgId: config.orgId, signerKey: keys.memberWallet.privateKey },
      version: '0.1.0',
    });
  },

  /** Claim evidence for payers ($evidence) and, with a ClaimRegistry, claim-line fingerprints. */
  claims: async ({ config, db, vault, chain, store, receipts }: NodeContext) =>
    createClaimsCapability({
      store,
      members: chain.members,
      jtis: openConsentTables(db, vault).memberJtis,
      node: { memberId: chain.memberId, orgId: config.orgId },
      baseUrl: `${config.publicUrl}${FHIR_BASE}`,
      audiences: [config.publicUrl, `${config.publicUrl}${FHIR_BASE}`],
      fingerprints: nodeFingerprintRegistrar({ dataDir: config.dataDir, chain, store, receipts }),
      fingerprintsOff: fingerprintsOffReason({ dataDir: config.dataDir, chain }),
    }),

  /** The web console at /console: its page, sign-in and the Operations API (gateway/console). */
  console: async ({ config, db, chain }: NodeContext) => createConsoleCapability({ config, db, chain }),
} satisfies Record<string, CapabilityFactory<NodeContext>>;

export type NodeCapabilities = CreatedCapabilities<typeof NODE_CAPABILITIES>;
