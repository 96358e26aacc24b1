// HL7 v2 over MLLP for the running node: the listener of fhir-adapters/hl7 on the node's store.
// Resource ids are HMACs under a key derived from the vault master key, so they are the same
// after every restart (a resent message upserts the same resources) and cannot be recomputed
// from an MRN by anyone without the node's secret.

import { hkdfSync } from 'node:crypto';
import type { Hl7AdapterConfig } from '../config.js';
import type { IntakePort } from '../intake/port.js';
import { createHl7Mapper } from '../../fhir-adapters/hl7/map-message.js';
import { startMllpListener, type MllpListener } from '../../fhir-adapters/hl7/mllp-listener.js';
import type { Hl7Log } from '../../fhir-adapters/hl7/acknowledge.js';

/** Changing this label changes every HL7-derived resource id: it is part of the id scheme. */
const HL7_ID_KEY_INFO = 'careledger/hl7v2/resource-ids/v1';

export function hl7IdKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), HL7_ID_KEY_INFO, 32));
}

export function startHl7Adapter(config: Hl7AdapterConfig, deps: { intake: IntakePort; masterKey: Buffer; log: Hl7Log }): Promise<MllpListener> {
  return startMllpListener({
    intake: deps.intake,
    mapper: createHl7Mapper({ idKey: hl7IdKey(deps.masterKey) }),
    port: config.port,
    host: config.host,
    log: deps.log,
  });
}
