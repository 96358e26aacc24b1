import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IntakeItem, IntakeItemResult, IntakePort } from '../../gateway/intake/port.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { openTestNode, type TestNode } from '../../test/support/test-store.js';
import { admission, labResult } from '../../test/support/synthetic-hl7.js';
import { createHl7Mapper } from './map-message.js';
import { encodeMllpFrame, MllpFrameDecoder } from './mllp-framing.js';
import { startMllpListener, type MllpListener } from './mllp-listener.js';
import { unescapeV2 } from './v2-segment.js';

const mapper = createHl7Mapper({ idKey: new Uint8Array(32).fill(3), timeZone: 'Europe/Berlin' });

/**
 * The node's real store, seen through a thin window: when each submission became durable, and
 * the faults a test needs that a healthy store never shows (a disk error, a slow commit, content
 * the validator refuses).
 */
class ObservedStore implements IntakePort {
  /** Wall-clock time at which each submission was durable, in order. */
  readonly commits: number[] = [];
  inProgress = 0;
  failWith: (() => Error | undefined) | undefined;
  commitDelayMs = 0;
  /** Rewrites resources before the store sees them, so its own validator refuses them. */
  spoil: ((resource: FhirResource) => FhirResource) | undefined;

  constructor(readonly node: TestNode) {}

  async submit(items: IntakeItem[], options: { source: string; atomic?: boolean }): Promise<IntakeItemResult[]> {
    const failure = this.failWith?.();
    if (failure) throw failure;
    this.inProgress++;
    try {
      if (this.commitDelayMs) await new Promise((resolve) => setTimeout(resolve, this.commitDelayMs));
      const spoil = this.spoil;
      const results = await this.node.store.submit(spoil ? items.map(({ resource }) => ({ resource: spoil(resource) })) : items, options);
      this.commits.push(Date.now());
      return results;
    } finally {
      this.inProgress--;
    }
  }

  /** Live resources and stored versions: what "the store is unchanged" is checked against. */
  counts(): { resources: number; versions: number } {
    const count = (sql: string) => (this.node.db.prepare(sql).get() as { n: number }).n;
    return { resources: count('SELECT COUNT(*) AS n FROM resource_current WHERE deleted = 0'), versions: count('SELECT COUNT(*) AS n FROM resource_versions') };
  }

  async all(type: string): Promise<any[]> {
    const ids = this.node.db.prepare('SELECT id FROM resource_current WHERE type = ? AND deleted = 0 ORDER BY id').all(type) as Array<{ id: string }>;
    return Promise.all(ids.map(async ({ id }) => (await this.node.store.read(type, id)).resource));
  }
}

let dir: string;
let intake: ObservedStore;
let listener: MllpListener;
const clients: Hl7Client[] = [];
const sockets: net.Socket[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'careledger-hl7-'));
  intake = new ObservedStore(openTestNode(dir, randomBytes(32)));
  listener = await startMllpListener({ intake, mapper, port: 0 });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of sockets.splice(0)) s.destroy();
  await listener.close({ drainTimeoutMs: 500 });
  intake.node.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(): Hl7Client {
  const c = new Hl7Client({ host: '127.0.0.1', port: listener.port });
  clients.push(c);
  return c;
}

const send = (text: string, c = client()): Promise<Hl7Message> => c.sendAndWait(Hl7Message.parse(text), { timeoutMs: 10_000 });
const msa = (ack: Hl7Message, n: number): string => ack.getSegment('MSA')!.getField(n).toString();
const err3 = (ack: Hl7Message): string => ack.getSegment('ERR')!.getField(3).getComponent(1);

/** A raw MLLP connection, for what Hl7Client cannot send (non-HL7 bytes, pipelining). */
async function rawConnection(): Promise<{ write: (bytes: Buffer | string) => void; acks: (n: number) => Promise<string[]> }> {
  const socket = net.connect({ port: listener.port, host: '127.0.0.1' });
  sockets.push(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  const decoder = new MllpFrameDecoder(1 << 20);
  const received: string[] = [];
  socket.on('data', (chunk: Buffer) => received.push(...decoder.push(chunk).map((f) => f.toString('latin1'))));
  return {
    write: (bytes) => socket.write(bytes),
    acks: async (n) => {
      const deadline = Date.now() + 10_000;
      while (received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return received.slice(0, n);
    },
  };
}
const frame = (text: string, encoding: BufferEncoding = 'utf8'): Buffer => encodeMllpFrame(Buffer.from(text, encoding));

describe('MLLP listener', () => {
  it('binds to loopback by default', () => {
    expect(listener.host).toBe('127.0.0.1');
  });

  it('acknowledges an ADT^A01 with AA after storing Patient and Encounter', async () => {
    const ack = await send(admission(1));
    expect(msa(ack, 1)).toBe('AA');
    expect(msa(ack, 2)).toBe('ADT00000001');
    const msh = ack.getSegment('MSH')!;
    expect([3, 4, 5, 6].map((n) => msh.getField(n).toString())).toEqual(['CARELEDGER', 'GOODHEALTH', 'EPIC', 'GOODHEALTH']);
    expect(msh.getField(9).toString()).toBe('ACK^A01^ACK');
    expect(msh.getField(12).toString()).toBe('2.5.1');
    expect(ack.getSegment('ERR')).toBeUndefined();
    expect(intake.counts().resources).toBe(2);
    const [patient] = await intake.all('Patient');
    expect(patient.identifier).toEqual([expect.objectContaining({ value: 'MRN0000001' })]);
    expect((await intake.all('Encounter'))[0].subject).toEqual({ reference: `Patient/${patient.id}` });
  });

  it('acknowledges an ORU^R01 after storing the report and its results', async () => {
    expect(msa(await send(labResult(2)), 1)).toBe('AA');
    expect(await intake.all('Observation')).toHaveLength(3);
    expect((await intake.all('DiagnosticReport'))[0].result).toHaveLength(3);
  });

  it('stores a message delivered twice once', async () => {
    const c = client();
    expect(msa(await send(admission(3), c), 1)).toBe('AA');
    const once = intake.counts();
    expect(msa(await send(admission(3), c), 1)).toBe('AA');
    expect(intake.counts()).toEqual(once);
  });

  it('applies an A08 to the admitted patient as a new version', async () => {
    const c = client();
    await send(admission(4), c);
    const update = admission(4).replace('ADT^A01^ADT_A01|ADT00000004', 'ADT^A08^ADT_A01|UPD00000004').replace('4 Main St', '9 Elm St');
    expect(msa(await send(update, c), 1)).toBe('AA');
    expect(intake.counts()).toEqual({ resources: 2, versions: 3 });
    expect((await intake.all('Patient'))[0].address).toEqual([expect.objectContaining({ line: ['9 Elm St'] })]);
  });

  it('answers AE naming the segment when PID is missing, and stores nothing', async () => {
    const before = intake.counts();
    const noPid = admission(5).split('\r').filter((s) => !s.startsWith('PID')).join('\r');
    const ack = await send(noPid);
    expect(msa(ack, 1)).toBe('AE');
    expect(msa(ack, 2)).toBe('ADT00000005');
    expect(msa(ack, 3)).toContain('no PID segment');
    expect(err3(ack)).toBe('100');
    expect(ack.getSegment('ERR')!.getField(4).toString()).toBe('E');
    expect(intake.counts()).toEqual(before);
  });

  it('stores a message with a bad birth date and answers AA with a warning ERR naming PID-7', async () => {
    const ack = await send(admission(6).replace(/\|19\d{6}\|/, '|19801340|'));
    expect(msa(ack, 1)).toBe('AA');
    expect(msa(ack, 2)).toBe('ADT00000006');
    const err = ack.getSegment('ERR')!;
    expect(err.getField(2).toString()).toBe('PID^1^7^1^');
    expect(err3(ack)).toBe('102');
    expect(err.getField(4).toString()).toBe('W');
    expect(unescapeV2(err.getField(8).toString(), ack.context)).toContain('PID-7');
    const patient = (await intake.all('Patient')).find((p) => (p.identifier as Array<{ value: string }>)[0].value === 'MRN0000006');
    expect(patient).toBeDefined();
    expect(patient!.birthDate).toBeUndefined();
  });

  it('rejects (AR) an unsupported message type with ERR-3 200', async () => {
    const ack = await send(admission(7).replace('ADT^A01^ADT_A01', 'ADT^A17^ADT_A17'));
    expect(msa(ack, 1)).toBe('AR');
    // MSA-3 is escaped like any v2 text: ^ travels as \S\.
    expect(unescapeV2(msa(ack, 3), ack.context)).toContain('ADT^A17 is not supported');
    expect(err3(ack)).toBe('200');
    expect(ack.getSegment('MSH')!.getField(9).toString()).toBe('ACK^A17^ACK');
    expect(intake.counts().resources).toBe(0);
  });

  it('rejects (AR) a header without a message type', async () => {
    const ack = await send(admission(8).replace('ADT^A01^ADT_A01', ''));
    expect(msa(ack, 1)).toBe('AR');
    expect(msa(ack, 2)).toBe('ADT00000008');
    expect(intake.counts().resources).toBe(0);
  });

  it('rejects (AR) a payload that is not HL7, with an empty MSA-2', async () => {
    const raw = await rawConnection();
    raw.write(frame('this is not an HL7 message'));
    const [ack] = await raw.acks(1);
    const parsed = Hl7Message.parse(ack);
    expect(msa(parsed, 1)).toBe('AR');
    expect(msa(parsed, 2)).toBe('');
    expect(msa(parsed, 3)).toContain('not an HL7 v2 message');
    expect(intake.counts().resources).toBe(0);
  });

  it('answers AE with the diagnostics when the node rejects the content, and stores nothing', async () => {
    intake.spoil = (r) => (r.resourceType === 'Encounter' ? { ...r, notAnElement: true } : r);
    const ack = await send(admission(9));
    expect(msa(ack, 1)).toBe('AE');
    // Encounter is the second resource of the message's atomic submission.
    expect(msa(ack, 3)).toBe("Bundle.entry[1]: Unknown element 'notAnElement' in Encounter");
    expect(err3(ack)).toBe('207');
    expect(intake.counts()).toEqual({ resources: 0, versions: 0 });
  });

  it('answers AR when the store fails, acknowledges nothing, and accepts the resend', async () => {
    intake.failWith = () => new Error('SQLITE_IOERR: disk I/O error');
    const c = client();
    const ack = await send(admission(10), c);
    expect(msa(ack, 1)).toBe('AR');
    expect(msa(ack, 3)).toContain('resend');
    expect(err3(ack)).toBe('207');
    expect(intake.counts().resources).toBe(0);
    intake.failWith = undefined;
    expect(msa(await send(admission(10), c), 1)).toBe('AA');
    expect(intake.counts().resources).toBe(2);
  });

  it('sends the ACK only after the commit is durable', async () => {
    intake.commitDelayMs = 300;
    const sent = Date.now();
    const ack = await send(admission(11));
    const acked = Date.now();
    expect(msa(ack, 1)).toBe('AA');
    expect(intake.commits).toHaveLength(1);
    expect(acked).toBeGreaterThanOrEqual(intake.commits[0]);
    expect(acked - sent).toBeGreaterThanOrEqual(290);
    // A separate connection to the file sees the rows: they were committed, not just staged.
    const reader = new Database(intake.node.dbPath, { readonly: true });
    expect((reader.prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n).toBe(2);
    reader.close();
  });

  it('answers pipelined messages in order, even when they arrive in one read', async () => {
    const raw = await rawConnection();
    raw.write(Buffer.concat([frame(admission(12)), frame(labResult(12)), frame(admission(12).replace('ADT00000012', 'ADT00000012B'))]));
    const acks = (await raw.acks(3)).map((a) => Hl7Message.parse(a));
    expect(acks.map((a) => [msa(a, 1), msa(a, 2)])).toEqual([
      ['AA', 'ADT00000012'],
      ['AA', 'ORU00000012'],
      ['AA', 'ADT00000012B'],
    ]);
    expect(intake.counts().resources).toBe(2 + 3 + 1);
  });

  it('reassembles a message split across reads', async () => {
    const raw = await rawConnection();
    const bytes = frame(admission(13));
    for (let i = 0; i < bytes.length; i += 17) {
      raw.write(bytes.subarray(i, i + 17));
      await new Promise((r) => setImmediate(r));
    }
    expect(msa(Hl7Message.parse((await raw.acks(1))[0]), 1)).toBe('AA');
  });

  it('serves many connections at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const c = client();
        const codes: string[] = [];
        for (let k = 0; k < 5; k++) codes.push(msa(await send(admission(100 + n * 5 + k), c), 1));
        return codes;
      }),
    );
    expect(results.flat()).toEqual(Array(100).fill('AA'));
    expect(intake.counts().resources).toBe(200);
    expect(listener.ackCounts()).toEqual({ AA: 100, AE: 0, AR: 0 });
  });

  it('decodes the charset declared in MSH-18 and refuses bytes that are not the default UTF-8', async () => {
    const latin1 = admission(14).replace('2.5.1', '2.5.1||||||8859/1').replace('Patient14', 'Müller');
    const raw = await rawConnection();
    raw.write(frame(latin1, 'latin1'));
    const [ack] = await raw.acks(1);
    expect(msa(Hl7Message.parse(ack), 1)).toBe('AA');
    expect(Hl7Message.parse(ack).getSegment('MSH')!.getField(18).toString()).toBe('8859/1');
    expect(((await intake.all('Patient'))[0].name as Array<{ family: string }>)[0].family).toBe('Müller');

    const undeclared = await rawConnection();
    undeclared.write(frame(admission(15).replace('Patient15', 'Müller'), 'latin1'));
    const [rejected] = await undeclared.acks(1);
    expect(msa(Hl7Message.parse(rejected), 1)).toBe('AR');
    // MSH-10 was readable, so the sender learns which message was refused.
    expect(msa(Hl7Message.parse(rejected), 2)).toBe('ADT00000015');
    expect(msa(Hl7Message.parse(rejected), 3)).toContain('not valid UTF-8');
    expect(Hl7Message.parse(rejected).getSegment('ERR')!.getField(2).toString()).toBe('MSH^1^18^1^');
    expect(intake.counts().resources).toBe(2);
  });

  it('finishes and acknowledges the message in progress when closed', async () => {
    intake.commitDelayMs = 200;
    const pending = send(admission(16));
    // In progress: handed to the store, not yet durable.
    while (intake.inProgress === 0) await new Promise((r) => setTimeout(r, 5));
    expect(intake.commits).toHaveLength(0);
    await listener.close({ drainTimeoutMs: 5000 });
    expect(msa(await pending, 1)).toBe('AA');
    expect(intake.counts().resources).toBe(2);
    expect(listener.connectionCount()).toBe(0);
    listener = await startMllpListener({ intake, mapper, port: 0 });
  });
});
