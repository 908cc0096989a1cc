import { Kafka, logLevel } from 'kafkajs';
import { silentLogger } from '@wail/telemetry';
import { stackEnv, uniqueName } from '@wail/testing';
import { KafkaClient, TransactionalProducer } from '../src';

const { kafkaBrokers } = stackEnv();

/** What exactly-once mode rests on: atomic output + offset, and fencing by transactional id. */
describe('TransactionalProducer', () => {
  const input = uniqueName('wail_it_txn_in');
  const output = uniqueName('wail_it_txn_out');
  const groupId = uniqueName('wail_it_txn_group');
  const transactionalId = `${groupId}:${input}:0`;
  const client = new KafkaClient({
    brokers: kafkaBrokers,
    clientId: 'wail-it',
    logger: silentLogger(),
  });

  beforeAll(async () => {
    await client.ensureTopics([
      { topic: input, partitions: 1 },
      { topic: output, partitions: 1 },
    ]);
  });

  afterAll(async () => {
    await client.deleteTopics([input, output]);
    await client.close();
  });

  /** Values of the output topic as a read_committed consumer sees them. */
  async function committedValues(): Promise<string[]> {
    const kafka = new Kafka({
      brokers: kafkaBrokers,
      clientId: 'wail-it-read',
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: uniqueName('wail_it_txn_reader'),
      readUncommitted: false,
    });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: output, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void values.push(message.value!.toString()),
    });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await consumer.disconnect();
    return values;
  }

  const record = (value: string) => ({
    topic: output,
    key: Buffer.from('k'),
    value: Buffer.from(value),
  });
  const offsetOf = async () => (await client.committedOffsets(groupId, [input])).get(input)?.get(0);

  it('commits records and the offset together, and a new claim fences the old producer', async () => {
    const first = new TransactionalProducer(client, { transactionalId });
    const second = new TransactionalProducer(client, { transactionalId });
    try {
      await first.claim();
      await first.commit([record('a'), record('b')], {
        groupId,
        topic: input,
        partition: 0,
        offset: 2n,
      });
      expect(await offsetOf()).toBe(2n);

      // A new owner of the partition claims the same id: the old one is a zombie now.
      await second.claim();
      await expect(
        first.commit([record('zombie')], { groupId, topic: input, partition: 0, offset: 9n }),
      ).rejects.toThrow();
      expect(await offsetOf()).toBe(2n);

      await second.commit([record('c')], { groupId, topic: input, partition: 0, offset: 3n });
      expect(await offsetOf()).toBe(3n);
      expect(await committedValues()).toEqual(['a', 'b', 'c']);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);
});
