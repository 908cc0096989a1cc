import { Kafka, logLevel } from 'kafkajs';
import { silentLogger } from '@wail/telemetry';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { KafkaClient } from '../src';

const { kafkaBrokers } = stackEnv();

describe('Kafka on the local stack', () => {
  const topic = uniqueName('wail_it_kafka');
  const client = new KafkaClient({
    brokers: kafkaBrokers,
    clientId: 'wail-it',
    logger: silentLogger(),
  });
  const kafka = new Kafka({
    brokers: kafkaBrokers,
    clientId: 'wail-it-raw',
    logLevel: logLevel.NOTHING,
  });

  afterAll(async () => {
    await client.deleteTopics([topic]);
    await client.close();
  });

  it('answers a ping and creates a topic once', async () => {
    await client.ping();
    await client.ensureTopics([{ topic, partitions: 2 }]);
    await client.ensureTopics([{ topic, partitions: 2 }]);
    expect(await client.listTopics()).toContain(topic);
  });

  it('round-trips a record through a produce and a consumer group', async () => {
    const producer = kafka.producer({ idempotent: true });
    const consumer = kafka.consumer({ groupId: uniqueName('wail_it_group') });
    await producer.connect();
    await consumer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'k1', value: 'hello', headers: { origin: 'it' } }],
      });
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<{ key: string; value: string; origin: string }>(
        (resolve) => {
          void consumer.run({
            eachMessage: async ({ message }) => {
              resolve({
                key: message.key?.toString() ?? '',
                value: message.value?.toString() ?? '',
                origin: message.headers?.['origin']?.toString() ?? '',
              });
            },
          });
        },
      );
      expect(received).toEqual({ key: 'k1', value: 'hello', origin: 'it' });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  it('lists a group’s members and takes one out without waiting for its session', async () => {
    const groupId = uniqueName('wail_it_members');
    expect(await client.groupMembers(groupId)).toEqual([]);
    await client.removeGroupMembers(groupId, ['nobody']);
    await client.ensureTopics([{ topic, partitions: 2 }]);
    const consumer = kafka.consumer({ groupId, sessionTimeout: 60_000 });
    let joined: (memberId: string) => void;
    const member = new Promise<string>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => joined(payload.memberId));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
      const memberId = await member;
      expect(await client.groupMembers(groupId)).toEqual([
        { memberId, clientId: 'wail-it-raw', clientHost: expect.stringMatching(/127\.0\.0\.1/) },
      ]);
      // A member already gone is skipped; the live one is out at once (it rejoins anew).
      await client.removeGroupMembers(groupId, ['wail-it-raw-gone', memberId]);
      const after = await client.groupMembers(groupId);
      expect(after.map((m) => m.memberId)).not.toContain(memberId);
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  it('fails a ping quickly when no broker listens', async () => {
    const { host, port } = await deadAddress();
    const dead = new KafkaClient({
      brokers: [`${host}:${port}`],
      clientId: 'wail-it-dead',
      logger: silentLogger(),
      connectionTimeoutMs: 300,
    });
    await expect(dead.ping()).rejects.toThrow();
    await dead.close();
  });
});
