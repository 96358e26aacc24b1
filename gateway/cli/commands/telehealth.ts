// careledger telehealth: the consult flows a person runs by hand against a node's /telehealth API
// (docs/telehealth.md). The node is --url (default: the dev node of $DATA_DIR); the credential is
// --token: the host's staff token (default: the dev client's of $DATA_DIR), a patient session
// from the patient's home node (`patient-session` prints one), a patient access token of the
// node, or a member JWT of another member's practitioner. Output is the API's JSON.

import { Wallet } from 'ethers';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readDevFile, tokenSource } from '../dev-target.js';

const HELP = `usage: careledger telehealth <command> [SESSION] [options]

host staff (the provider side and the front desk):
  schedule --practitioner ID                      a telehealth Schedule for a practitioner of the node
  slot --schedule ID --start ISO --end ISO        a free Slot in it
  book --slot ID --patient ADDRESS --home-member ORG [--reason TEXT]
  admit SESSION --licence-subject ADDRESS         admit the waiting patient (the provider's licence key)
  invite SESSION --member ORG --practitioner ID --role specialist|second-opinion|observer [--licence-subject ADDRESS]
  withdraw SESSION --participant ID
  escalate SESSION --severity 1-5 --reason TEXT
  start | wrap-up | complete | no-show SESSION
  visit-note SESSION --text TEXT                  anchored here, delivered to the patient's home hospital
the patient (a patient session from their home node, or this node's patient token):
  slots [--schedule ID]
  book --slot ID [--reason TEXT]
  check-in | arrive | cancel SESSION
  patient-session --audience HOST_URL             at the home node: a patient session for the host
anyone taking part:
  list [--state STATE]   show SESSION
  join SESSION [--licence-key HEX|FILE] [--challenge-token TOKEN]
                                                  join token, TURN and notification token; clinical roles
                                                  sign the host's challenge with their licence key (a member
                                                  JWT is single use: give a second one for the challenge)

options: --url URL (default: the node of $DATA_DIR/dev.json)  --token TOKEN (default: its dev token)
Exit 0: done. Exit 1: the node refused (its OperationOutcome on stderr). Exit 2: usage.`;

const SIMPLE = ['check-in', 'arrive', 'start', 'wrap-up', 'complete', 'cancel', 'no-show'];

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'challenge-token': { type: 'string' },
      practitioner: { type: 'string' },
      schedule: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      slot: { type: 'string' },
      patient: { type: 'string' },
      'home-member': { type: 'string' },
      reason: { type: 'string' },
      'licence-subject': { type: 'string' },
      'licence-key': { type: 'string' },
      member: { type: 'string' },
      role: { type: 'string' },
      participant: { type: 'string' },
      severity: { type: 'string' },
      state: { type: 'string' },
      text: { type: 'string' },
      audience: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (!command || values.help) {
    console.log(HELP);
    return command ? 0 : 2;
  }
  const session = positionals[0];
  const need = (value: string | undefined, what: string): string => {
    if (value === undefined || value === '') throw new UsageError(`telehealth ${command} needs ${what}`);
    return value;
  };
  try {
    const url = (values.url ?? urlOfDevNode()).replace(/\/+$/, '');
    const token = await tokenSource({ ...(values.token ? { token: values.token } : {}) })();
    const call = (method: string, path: string, body?: unknown) => request(url, token, method, path, body);
    const at = (suffix: string) => `/telehealth/sessions/${encodeURIComponent(need(session, 'a SESSION id'))}${suffix}`;

    let result: unknown;
    if (SIMPLE.includes(command)) result = await call('POST', at(`/${command}`));
    else if (command === 'schedule') result = await call('POST', '/telehealth/schedules', { practitioner: need(values.practitioner, '--practitioner') });
    else if (command === 'slot') {
      result = await call('POST', `/telehealth/schedules/${encodeURIComponent(need(values.schedule, '--schedule'))}/slots`, {
        start: need(values.start, '--start'),
        end: need(values.end, '--end'),
      });
    } else if (command === 'slots') result = await call('GET', `/telehealth/slots${values.schedule ? `?schedule=${encodeURIComponent(values.schedule)}` : ''}`);
    else if (command === 'book') {
      result = await call('POST', '/telehealth/appointments', {
        slot: need(values.slot, '--slot'),
        ...(values.patient ? { patient: values.patient } : {}),
        ...(values['home-member'] ? { homeMember: values['home-member'] } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
    } else if (command === 'admit') result = await call('POST', at('/admit'), { licenceSubject: need(values['licence-subject'], '--licence-subject') });
    else if (command === 'invite') {
      result = await call('POST', at('/invitations'), {
        member: need(values.member, '--member'),
        practitioner: need(values.practitioner, '--practitioner'),
        role: need(values.role, '--role'),
        ...(values['licence-subject'] ? { licenceSubject: values['licence-subject'] } : {}),
      });
    } else if (command === 'withdraw') result = await call('DELETE', at(`/invitations/${encodeURIComponent(need(values.participant, '--participant'))}`));
    else if (command === 'escalate') {
      const severity = Number(need(values.severity, '--severity 1-5'));
      result = await call('POST', at('/escalations'), { severity, reason: need(values.reason, '--reason') });
    } else if (command === 'visit-note') result = await call('POST', at('/visit-note'), { text: need(values.text, '--text') });
    else if (command === 'list') result = await call('GET', `/telehealth/sessions${values.state ? `?state=${encodeURIComponent(values.state)}` : ''}`);
    else if (command === 'show') result = await call('GET', at(''));
    else if (command === 'join') {
      let body: object = {};
      if (values['licence-key']) {
        const wallet = new Wallet(keyFrom(values['licence-key']));
        const challengeToken = values['challenge-token'] ?? token;
        const challenge = (await request(url, challengeToken, 'POST', at('/join-challenge'))) as { nonce: string; message: string };
        body = { holderProof: { nonce: challenge.nonce, signature: await wallet.signMessage(challenge.message) } };
      }
      result = await call('POST', at('/join'), body);
    } else if (command === 'patient-session') result = await call('POST', '/telehealth/patient-assertions', { audience: need(values.audience, '--audience (the host node URL)') });
    else throw new UsageError(`unknown telehealth command "${command}"; careledger telehealth --help lists them`);
    console.log(JSON.stringify(result, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`careledger telehealth: ${error.message}`);
      return 2;
    }
    if (error instanceof RefusedError) {
      console.error(`careledger telehealth: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

class UsageError extends Error {}
class RefusedError extends Error {}

function urlOfDevNode(): string {
  return new URL(readDevFile().fhirBase).origin;
}

function keyFrom(value: string): string {
  const hex = /^0x[0-9a-fA-F]{64}$/.test(value) ? value : readFileSync(value, 'utf8').trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError('--licence-key is a 0x-hex private key or a file holding one');
  return hex;
}

async function request(url: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new RefusedError(`cannot reach ${url}: ${(error as Error).message}; is the node running?`);
  }
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
    const outcome = parsed as { issue?: Array<{ details?: { text?: string }; diagnostics?: string }> } | null;
    const why = outcome?.issue?.map((issue) => issue.details?.text ?? issue.diagnostics).filter(Boolean).join('; ') || text.slice(0, 300);
    throw new RefusedError(`${method} ${path}: ${response.status}: ${why}`);
  }
  return parsed;
}
