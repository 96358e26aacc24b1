// A real node for the console's browser tests: in-process, dev mode, its own embedded chain, with
// synthea-10 patients imported when ../shared/data/synthea-10 is there (a few synthetic ones
// otherwise), everything anchored, and the consortium trust file a payer would be handed.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { importNdjson } from '../../gateway/cli/ndjson-import.js';
import { exportTrust } from '../../gateway/receipts/trust-root.js';
import { serializeTrustFile } from '../../gateway/receipts/trust-file.js';
import { postBatch, waitForAnchoring } from '../support/fhir-client.js';
import { startTestNode, type TestNode } from '../support/test-node.js';

export const SYNTHEA = resolve(import.meta.dirname, '../../../shared/data/synthea-10');

export interface ConsoleNode {
  node: TestNode;
  /** Patient ids the node holds, anchored. */
  patientIds: string[];
  trustFilePath: string;
  dataSource: string;
}

export async function startConsoleNode(): Promise<ConsoleNode> {
  const node = await startTestNode();
  let patientIds: string[];
  let dataSource: string;
  if (existsSync(join(SYNTHEA, 'Patient.000.ndjson'))) {
    // The patients and their allergies: enough for every view, quick to import and anchor.
    const files = ['Patient.000.ndjson', 'AllergyIntolerance.000.ndjson'].map((name) => join(SYNTHEA, name));
    const summary = await importNdjson(files, { fhirBase: `${node.baseUrl}/fhir/R4`, token: async () => node.token }, { bundleSize: 100, concurrency: 2 });
    if (summary.failed > 0) throw new Error(`synthea-10 import failed: ${JSON.stringify(summary.failures.slice(0, 3))}`);
    const { readFileSync } = await import('node:fs');
    patientIds = readFileSync(files[0]!, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
    dataSource = `synthea-10 (${summary.created} resources)`;
  } else {
    console.warn(`console tests: ${SYNTHEA} is absent (it comes from ../shared/data), using synthetic patients`);
    patientIds = ['console-p1', 'console-p2', 'console-p3'];
    const outcome = await postBatch({ fhirBase: node.fhirBase, token: node.token }, patientIds.map((id) => ({ resourceType: 'Patient', id, gender: 'female', birthDate: '1970-01-01' })));
    if (!outcome.ok) throw new Error(`synthetic patients refused: ${outcome.status}`);
    dataSource = 'synthetic patients';
  }
  await waitForAnchoring(node.baseUrl, 60_000);
  const trust = await exportTrust(node.chain.descriptor, node.chain.verifier, 'console test consortium');
  const trustFilePath = join(mkdtempSync(join(tmpdir(), 'careledger-console-trust-')), 'trust.json');
  writeFileSync(trustFilePath, serializeTrustFile(trust));
  return { node, patientIds, trustFilePath, dataSource };
}
