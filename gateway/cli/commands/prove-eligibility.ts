// careledger prove-eligibility --patient ID --trial ID --criteria FILE: asks the hospital node of
// $DATA_DIR (its /cohort API, with the dev client's token unless --url/--token say otherwise) for
// a zero-knowledge proof that the patient's committed record meets the trial's criteria. The
// proof names no patient: it carries the root, the criteria hash, the trial scope and the
// patient's nullifier for this trial.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readDevFile, tokenSource } from '../dev-target.js';

const HELP = `usage: careledger prove-eligibility --patient ID --trial ID --criteria FILE [--out FILE]

options:
  --url URL      base URL of the hospital node (default: from $DATA_DIR/dev.json)
  --token TOKEN  bearer token with Patient read access (default: the dev client of $DATA_DIR)
  --out FILE     write the proof there instead of stdout
Exit 0: proof written. Exit 1: the node refused (unknown patient, criteria not met...). Exit 2: usage.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      patient: { type: 'string' },
      trial: { type: 'string' },
      criteria: { type: 'string' },
      out: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.patient || !values.trial || !values.criteria) {
    console.error(`careledger prove-eligibility: --patient, --trial and --criteria are required\n${HELP}`);
    return 2;
  }
  const criteria = JSON.parse(readFileSync(values.criteria, 'utf8')) as unknown;
  const base = (values.url ?? readDevFile().fhirBase.replace(/\/fhir\/?$/, '')).replace(/\/$/, '');
  const token = await tokenSource({ token: values.token })();
  const response = await fetch(`${base}/cohort/eligibility/proofs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ patient: values.patient, trial: values.trial, criteria }),
  });
  const body = (await response.json()) as { issue?: { diagnostics?: string; details?: { text?: string } }[] };
  if (!response.ok) {
    const issue = body.issue?.[0];
    console.error(`careledger prove-eligibility: the node refused (${response.status}): ${issue?.diagnostics ?? issue?.details?.text ?? 'see its log'}`);
    return 1;
  }
  const text = `${JSON.stringify(body, null, 2)}\n`;
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  return 0;
}
