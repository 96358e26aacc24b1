// HL7 v2 into a real node: MLLP frames over loopback from @medplum/hl7's Hl7Client to the node's
// listener (HL7_MLLP_PORT), AA only once stored, the mapped resources readable over the FHIR API
// with receipts that verify against the chain, and bad messages answered AE/AR with nothing
// stored.

import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hl7IdKey } from '../gateway/adapters/hl7-adapter.js';
import { resourceIdDeriver } from '../fhir-adapters/hl7/resource-ids.js';
import { admission, labResult } from './support/synthetic-hl7.js';
import { freePort } from '../gateway/server/free-port.js';
import { getJson } from './support/fhir-client.js';
import { verifiedReceipt } from './support/receipts.js';
import { startTestNode, type TestNode } from './support/test-node.js';

let node: TestNode;
let client: Hl7Client;

beforeAll(async () => {
  node = await startTestNode({ HL7_MLLP_PORT: String(await freePort()) });
  client = new Hl7Client({ host: '127.0.0.1', port: node.adapters.health().hl7!.port });
});
afterAll(async () => {
  await client?.close();
  await node?.dispose();
});

const send = (text: string): Promise<Hl7Message> => client.sendAndWait(Hl7Message.parse(text), { timeoutMs: 10_000 });
const msa = (ack: Hl7Message, n: number): string => ack.getSegment('MSA')!.getField(n).toString();
const rows = (table: string): number => (node.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const stored = () => ({ journal: rows('journal'), versions: rows('resource_versions') });

describe('HL7 v2 over MLLP into a running node', () => {
  it('reports the listener in /health', async () => {
    const health = (await (await fetch(`${node.baseUrl}/health`)).json()) as any;
    expect(health.adapters.hl7).toMatchObject({ host: '127.0.0.1', port: node.adapters.health().hl7!.port });
  });

  it('acknowledges an ADT^A01 with AA; Patient and Encounter are served with verifying receipts', async () => {
    const ack = await send(admission(1));
    expect(msa(ack, 1)).toBe('AA');
    expect(msa(ack, 2)).toBe('ADT00000001');

    const patients = await getJson(node, 'Patient?identifier=MRN0000001');
    expect(patients.body.total).toBe(1);
    const patient = patients.body.entry[0].resource;
    expect(patient.name[0].family).toBe('Patient1');
    // Ids are keyed by the node's master key, so they are the same after a restart.
    expect(patient.id).toBe(resourceIdDeriver(hl7IdKey(readMasterKey()))('Patient', 'urn:careledger:hl7:GOODHEALTH', 'MRN0000001'));
    const encounters = await getJson(node, `Encounter?subject=Patient/${patient.id}`);
    expect(encounters.body.total).toBe(1);

    for (const reference of [`Patient/${patient.id}`, `Encounter/${encounters.body.entry[0].resource.id}`]) {
      const { result } = await verifiedReceipt(node, node, reference);
      expect(result.valid, reference).toBe(true);
    }
  });

  it('acknowledges an ORU^R01 with AA; Observations and the DiagnosticReport are served with verifying receipts', async () => {
    expect(msa(await send(labResult(2)), 1)).toBe('AA');
    const patient = (await getJson(node, 'Patient?identifier=MRN0000002')).body.entry[0].resource;
    const observations = await getJson(node, `Observation?subject=Patient/${patient.id}`);
    expect(observations.body.total).toBe(3);
    const reports = await getJson(node, `DiagnosticReport?subject=Patient/${patient.id}`);
    expect(reports.body.total).toBe(1);
    const report = reports.body.entry[0].resource;
    expect(report.result).toHaveLength(3);

    const references = [`DiagnosticReport/${report.id}`, ...observations.body.entry.map((entry: any) => `Observation/${entry.resource.id}`)];
    for (const reference of references) {
      const { result } = await verifiedReceipt(node, node, reference);
      expect(result.valid, reference).toBe(true);
    }
  });

  it('answers AE for a message missing its PID and AR for an unsupported type, storing nothing', async () => {
    const before = stored();
    const noPid = await send(admission(3).split('\r').filter((segment) => !segment.startsWith('PID')).join('\r'));
    expect(msa(noPid, 1)).toBe('AE');
    expect(msa(noPid, 3)).toContain('no PID segment');
    const noObservationId = await send(labResult(4).replace(/OBX\|1\|NM\|[^|]*\|/, 'OBX|1|NM||'));
    expect(msa(noObservationId, 1)).toBe('AE');
    const unsupported = await send(admission(5).replace('ADT^A01^ADT_A01', 'ADT^A17^ADT_A17'));
    expect(msa(unsupported, 1)).toBe('AR');
    expect(stored()).toEqual(before);
    expect(node.adapters.health().hl7!.acks).toMatchObject({ AE: 2, AR: 1 });
  });

  it('stores a result with an unreadable observation time and says so in an AA with a warning ERR', async () => {
    const ack = await send(labResult(6).replace('20240315080000+0100', '20241340080000+0100'));
    expect(msa(ack, 1)).toBe('AA');
    expect(ack.getSegment('ERR')!.getField(4).toString()).toBe('W');
    const patient = (await getJson(node, 'Patient?identifier=MRN0000006')).body.entry[0].resource;
    expect((await getJson(node, `Observation?subject=Patient/${patient.id}`)).body.total).toBe(3);
  });
});

function readMasterKey(): Buffer {
  return Buffer.from(readFileSync(join(node.dataDir, 'keys', 'master.key'), 'utf8').trim(), 'hex');
}
