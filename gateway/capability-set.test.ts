import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Capability } from './capability.js';
import { CapabilitySet } from './capability-set.js';
import type { ResourceService } from './store/service.js';

const log = { warn: () => undefined } as unknown as FastifyBaseLogger;

/** A capability that records what the set asks of it in a shared journal. */
function recorder(name: string, journal: string[], overrides: Partial<Capability> = {}): Capability {
  return {
    start: () => {
      journal.push(`start ${name}`);
    },
    stop: async () => {
      journal.push(`stop ${name}`);
    },
    ...overrides,
  };
}

describe('CapabilitySet', () => {
  it('creates and starts in list order, stops in reverse, and skips what a node cannot offer', async () => {
    const journal: string[] = [];
    const set = await CapabilitySet.create(
      {
        consent: async () => {
          journal.push('create consent');
          return recorder('consent', journal);
        },
        cohort: async () => null,
        adapters: async () => {
          journal.push('create adapters');
          return recorder('adapters', journal);
        },
      },
      {},
    );
    expect(set.byName.cohort).toBeNull();
    await set.start(log);
    await set.stop();
    await set.stop();
    expect(journal).toEqual(['create consent', 'create adapters', 'start consent', 'start adapters', 'stop adapters', 'stop consent']);
  });

  it('passes the node context to every factory', async () => {
    const seen: unknown[] = [];
    await CapabilitySet.create({ a: async (context: { orgId: string }) => (seen.push(context), recorder('a', [])) }, { orgId: 'org-a' });
    expect(seen).toEqual([{ orgId: 'org-a' }]);
  });

  it('stops what was created, in reverse, when a later factory fails', async () => {
    const journal: string[] = [];
    const failing = CapabilitySet.create(
      {
        first: async () => recorder('first', journal),
        second: async () => recorder('second', journal),
        third: async () => {
          throw new Error('no registry');
        },
      },
      {},
    );
    await expect(failing).rejects.toThrow('no registry');
    expect(journal).toEqual(['stop second', 'stop first']);
  });

  it('stops everything created, in reverse, when a start fails, and only once', async () => {
    const journal: string[] = [];
    const set = await CapabilitySet.create(
      {
        first: async () => recorder('first', journal),
        second: async () =>
          recorder('second', journal, {
            start: () => {
              throw new Error('port 2575 is taken');
            },
          }),
        third: async () => recorder('third', journal),
      },
      {},
    );
    await expect(set.start(log)).rejects.toThrow('port 2575 is taken');
    await set.stop();
    expect(journal).toEqual(['start first', 'stop third', 'stop second', 'stop first']);
  });

  it('asks every capability to stop when one fails to, then throws the first failure', async () => {
    const journal: string[] = [];
    const set = await CapabilitySet.create(
      {
        first: async () => recorder('first', journal),
        second: async () => recorder('second', journal, { stop: () => Promise.reject(new Error('worker hung')) }),
        third: async () => recorder('third', journal),
      },
      {},
    );
    await expect(set.stop()).rejects.toThrow('worker hung');
    expect(journal).toEqual(['stop third', 'stop first']);
  });

  it('reports health by name and is degraded when any capability is', async () => {
    let kafkaUp = true;
    const schema = { type: 'object', properties: { state: { type: 'string' } } };
    const set = await CapabilitySet.create(
      {
        consent: async () => recorder('consent', []),
        adapters: async () =>
          recorder('adapters', [], {
            health: () => ({ state: kafkaUp ? 'connected' : 'retrying' }),
            healthSchema: schema,
            degraded: () => !kafkaUp,
          }),
      },
      {},
    );
    expect(set.health()).toEqual({ adapters: { state: 'connected' } });
    expect(set.healthSchemas()).toEqual({ adapters: schema });
    expect(set.degraded()).toBe(false);
    kafkaUp = false;
    expect(set.health()).toEqual({ adapters: { state: 'retrying' } });
    expect(set.degraded()).toBe(true);
  });

  it('wraps authorize in list order, the first innermost, and lets one capability choose the service', async () => {
    const calls: string[] = [];
    const service = {} as ResourceService;
    const set = await CapabilitySet.create(
      {
        consent: async () =>
          recorder('consent', [], {
            authorize: (inner) => async (request, type, interaction) => {
              calls.push('consent');
              await inner(request, type, interaction);
            },
            serviceFor: () => service,
          }),
        telehealth: async () =>
          recorder('telehealth', [], {
            authorize: (inner) => async (request, type, interaction) => {
              calls.push('telehealth');
              await inner(request, type, interaction);
            },
          }),
      },
      {},
    );
    const request = {} as FastifyRequest;
    await set.authorize(() => void calls.push('system'))(request, 'Patient', 'read');
    expect(calls).toEqual(['telehealth', 'consent', 'system']);
    expect(set.serviceFor()?.(request)).toBe(service);
  });

  it('refuses two capabilities that both choose the service a request sees', async () => {
    const chooser = () => recorder('x', [], { serviceFor: () => ({}) as ResourceService });
    await expect(CapabilitySet.create({ consent: async () => chooser(), claims: async () => chooser() }, {})).rejects.toThrow(
      /consent and claims both provide serviceFor/,
    );
  });

  it('has no service chooser and leaves authorize alone when no capability adds them', async () => {
    const set = await CapabilitySet.create({ cohort: async () => recorder('cohort', []) }, {});
    const system = () => undefined;
    expect(set.serviceFor()).toBeUndefined();
    expect(set.authorize(system)).toBe(system);
  });

  it('registers routes in list order, fans out anchored batches and registers metrics', async () => {
    const registered: string[] = [];
    const anchored: string[] = [];
    const set = await CapabilitySet.create(
      {
        consent: async () => recorder('consent', [], { routes: async () => void registered.push('consent') }),
        cohort: async () => recorder('cohort', [], { routes: async () => void registered.push('cohort') }),
        adapters: async () =>
          recorder('adapters', [], {
            batchAnchored: (sequence) => void anchored.push(`adapters ${sequence}`),
            metrics: (registry) => void new Counter({ name: 'careledger_adapter_messages_total', help: 'messages', registers: [registry] }),
          }),
      },
      {},
    );
    for (const routes of set.routes()) await routes({} as FastifyInstance);
    expect(registered).toEqual(['consent', 'cohort']);
    set.batchAnchored(7);
    expect(anchored).toEqual(['adapters 7']);
    const registry = new Registry();
    set.registerMetrics(registry);
    expect(await registry.metrics()).toContain('careledger_adapter_messages_total 0');
  });
});
