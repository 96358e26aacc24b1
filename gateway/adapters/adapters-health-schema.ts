// What /health shows under "adapters" (NodeAdapters.health), as the response schema that
// serializes it: a field missing here would silently disappear from /health.

const ackCounts = { type: 'object', properties: { AA: { type: 'integer' }, AE: { type: 'integer' }, AR: { type: 'integer' } } } as const;

export const ADAPTERS_HEALTH_SCHEMA = {
  type: 'object',
  properties: {
    hl7: {
      type: 'object',
      properties: { host: { type: 'string' }, port: { type: 'integer' }, connections: { type: 'integer' }, acks: ackCounts },
    },
    kafka: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['connecting', 'connected', 'restarting', 'retrying', 'crashed', 'stopped'] },
        topic: { type: 'string' },
        detail: { type: 'string' },
      },
    },
    restSync: {
      type: 'object',
      properties: {
        fhirBase: { type: 'string' },
        state: { type: 'string', enum: ['waiting', 'ok', 'failing'] },
        lastRun: { type: 'string' },
        lastSuccess: { type: 'string' },
        lagMs: { type: 'integer' },
        lastError: { type: 'string' },
        lastStored: { type: 'integer' },
      },
    },
    subscriptions: { type: 'object', properties: { endpoints: { type: 'array', items: { type: 'string' } } } },
    bulkExport: { type: 'object', properties: { kickOff: { type: 'string' } } },
  },
} as const;
