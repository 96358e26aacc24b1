import { OperationOutcomeError } from '@medplum/core';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { readMessage } from './kafka-message.js';

const message = (value: string): KafkaMessage => ({ key: null, value: Buffer.from(value), timestamp: '0', attributes: 0, offset: '0', headers: {} });
const options = { versionHeader: 'fhir-version', defaultVersion: 'R4' as const };

describe('readMessage', () => {
  it('refuses a message nested 5,000 levels deep with a 400 outcome, before parsing it', () => {
    const deep = `{"resourceType":"Observation","extension":[${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}]}`;
    let thrown: unknown;
    try {
      readMessage(message(deep), options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OperationOutcomeError);
    expect((thrown as OperationOutcomeError).outcome.issue[0]!.details?.text).toMatch(/deeper than 100 levels/);
  });

  it('still reads an ordinary resource', () => {
    expect(() => readMessage(message('{"resourceType":"Patient","id":"p1"}'), options)).not.toThrow();
  });
});
