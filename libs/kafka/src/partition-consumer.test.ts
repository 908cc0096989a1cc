import pino from 'pino';
import type { KafkaClient } from './kafka-client';
import { PartitionConsumer } from './partition-consumer';

/** A kafkajs consumer that joins, runs and never answers a commit (as after a crash under it). */
function silentConsumer() {
  return {
    events: { GROUP_JOIN: 'group.join', CRASH: 'crash' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    disconnect: async () => undefined,
    commitOffsets: () => new Promise<void>(() => undefined),
  };
}

describe('PartitionConsumer.commit', () => {
  it('fails a commit kafkajs never answers, so the caller can retry', async () => {
    const kafka = { createConsumer: () => silentConsumer() } as unknown as KafkaClient;
    const consumer = new PartitionConsumer(kafka, {
      groupId: 'g',
      logger: pino({ level: 'silent' }),
      onBatch: async () => undefined,
      commitTimeoutMs: 50,
    });
    await consumer.setTopics(['t']);
    await expect(consumer.commit([{ topic: 't', partition: 0, offset: 1n }])).rejects.toThrow(
      'offset commit not answered in 50 ms',
    );
    await consumer.stop();
  });
});
