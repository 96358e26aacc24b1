// Composes a node's capabilities (gateway/capability.ts) in the order of their list: created in
// order, started in order once the app exists, stopped in reverse. Whatever was created is
// stopped again when a later one fails to be created or started, so a node that does not come
// up leaves no poller, listener or worker behind.

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Capability } from './capability.js';
import type { Authorize } from './fhir/authorize.js';
import type { ResourceService } from './store/service.js';

/** Makes a capability from what the node has, or null when the node cannot offer it (e.g. no registry on the chain). */
export type CapabilityFactory<Context, C extends Capability = Capability> = (context: Context) => Promise<C | null>;

/** What each factory of a list made, by the factory's name. */
export type CreatedCapabilities<Factories> = {
  [Name in keyof Factories]: Factories[Name] extends (context: never) => Promise<infer C extends Capability | null> ? C : never;
};

export class CapabilitySet<ByName extends Record<string, Capability | null>> {
  private readonly active: Array<[name: string, capability: Capability]>;
  private stopped = false;

  private constructor(readonly byName: ByName) {
    this.active = Object.entries(byName).filter((entry): entry is [string, Capability] => entry[1] !== null);
    const choosers = this.active.filter(([, capability]) => capability.serviceFor).map(([name]) => name);
    if (choosers.length > 1) {
      throw new Error(`capabilities ${choosers.join(' and ')} both provide serviceFor: only one may choose the service a request sees; compose them into one`);
    }
  }

  static async create<Context, Factories extends Record<string, CapabilityFactory<Context>>>(
    factories: Factories,
    context: Context,
  ): Promise<CapabilitySet<CreatedCapabilities<Factories>>> {
    const byName: Record<string, Capability | null> = {};
    const created: Capability[] = [];
    try {
      for (const [name, factory] of Object.entries(factories)) {
        const capability = await factory(context);
        byName[name] = capability;
        if (capability) created.push(capability);
      }
      return new CapabilitySet<CreatedCapabilities<Factories>>(byName as CreatedCapabilities<Factories>);
    } catch (error) {
      await stopInReverse(created);
      throw error;
    }
  }

  /** The SMART check wrapped by every capability that wraps it, the first in the list innermost. */
  authorize(system: Authorize): Authorize {
    return this.active.reduce((inner, [, capability]) => (capability.authorize ? capability.authorize(inner) : inner), system);
  }

  /** The capability that chooses the service a request sees, if one does. */
  serviceFor(): ((request: FastifyRequest) => ResourceService) | undefined {
    const chooser = this.active.find(([, capability]) => capability.serviceFor)?.[1];
    return chooser ? (request) => chooser.serviceFor!(request) : undefined;
  }

  /** Route plugins in list order, for buildApp's `extensions`. */
  routes(): Array<(app: FastifyInstance) => Promise<void>> {
    return this.active.flatMap(([, capability]) => (capability.routes ? [(app: FastifyInstance) => capability.routes!(app)] : []));
  }

  registerMetrics(registry: Registry): void {
    for (const [, capability] of this.active) capability.metrics?.(registry);
  }

  async start(log: FastifyBaseLogger): Promise<void> {
    try {
      for (const [, capability] of this.active) await capability.start?.(log);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Reverse order; every capability is asked to stop even when an earlier one fails, then the first failure is thrown. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await stopInReverse(this.active.map(([, capability]) => capability));
  }

  batchAnchored(sequence: number): void {
    for (const [, capability] of this.active) capability.batchAnchored?.(sequence);
  }

  /** Each capability's report under its name, for /health. */
  health(): Record<string, object> {
    return Object.fromEntries(this.active.flatMap(([name, capability]) => (capability.health ? [[name, capability.health()]] : [])));
  }

  healthSchemas(): Record<string, object> {
    return Object.fromEntries(this.active.flatMap(([name, capability]) => (capability.healthSchema ? [[name, capability.healthSchema]] : [])));
  }

  degraded(): boolean {
    return this.active.some(([, capability]) => capability.degraded?.() === true);
  }
}

async function stopInReverse(capabilities: readonly Capability[]): Promise<void> {
  const failures: unknown[] = [];
  for (const capability of [...capabilities].reverse()) {
    try {
      await capability.stop();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
