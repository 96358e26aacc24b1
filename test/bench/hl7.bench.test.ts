import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchHl7 } from './hl7.bench.js';
import { generateHl7Messages } from '../support/synthetic-hl7.js';
import { openTestNode } from '../support/test-store.js';

describe('benchHl7', () => {
  it('acknowledges every message over MLLP and reports throughput and latency', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'careledger-hl7-bench-'));
    const node = openTestNode(dir, randomBytes(32));
    try {
      const result = await benchHl7({ intake: node.store, messages: generateHl7Messages(400), concurrency: 8 });
      console.log(`HL7 v2 bench (400 messages, 8 connections, the node's ResourceStore): ${JSON.stringify(result)}`);
      expect(result.ackCodes).toEqual({ AA: 400 });
      expect(result.messages).toBe(400);
      expect(result.messagesPerSecond).toBeGreaterThan(0);
      expect(result.ackLatencyMs.p95).toBeGreaterThanOrEqual(result.ackLatencyMs.p50);
      // 200 admissions (Patient + Encounter) and 200 lab results (3 Observations + a report).
      const live = node.db.prepare('SELECT COUNT(*) AS n FROM resource_current WHERE deleted = 0').get() as { n: number };
      expect(live.n).toBe(200 * 2 + 200 * 4);
    } finally {
      node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
