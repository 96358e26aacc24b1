import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KAFKA_ERROR, KAFKA_WARN } from './kafka-adapter.js';

describe('KafkaAdapter', () => {
  it('uses the log levels of the installed kafkajs without importing it at start', () => {
    expect(KAFKA_ERROR).toBe(logLevel.ERROR);
    expect(KAFKA_WARN).toBe(logLevel.WARN);
  });
});
