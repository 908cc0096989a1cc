import { Kafka, logLevel } from 'kafkajs';
import { silentLogger } from '@wail/telemetry';
import { stackEnv, uniqueName, waitFor } from '@wail/testing';
import { KafkaClient, PartitionConsumer, TransactionalProducer } from '../src';

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
      await waitFor(async () => (await offsetOf()) === 2n, { timeoutMs: 5000, what: 'offset 2' });

      // A new owner of the partition claims the same id: the old one is a zombie now.
      await second.claim();
      await expect(
        first.commit([record('zombie')], { groupId, topic: input, partition: 0, offset: 9n }),
      ).rejects.toThrow();
      expect(await offsetOf()).toBe(2n);

      await second.commit([record('c')], { groupId, topic: input, partition: 0, offset: 3n });
      // The group coordinator applies a committed transaction's offset
      // asynchronously: a read right after the commit may still see the old one
      // (why KafkaPartitionTransactions re-reads until stable after a claim).
      await waitFor(async () => (await offsetOf()) === 3n, { timeoutMs: 5000, what: 'offset 3' });
      expect(await committedValues()).toEqual(['a', 'b', 'c']);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);

  it('reads only committed records when aborted transactions of several producers interleave', async () => {
    const topic = uniqueName('wail_it_txn_mix');
    await client.ensureTopics([{ topic, partitions: 1 }]);
    const kafka = new Kafka({
      brokers: kafkaBrokers,
      clientId: 'wail-it-mix',
      logLevel: logLevel.NOTHING,
    });
    const producers = ['x', 'y', 'z'].map((id) =>
      kafka.producer({
        transactionalId: `${topic}-${id}`,
        idempotent: true,
        maxInFlightRequests: 1,
      }),
    );
    await Promise.all(producers.map((p) => p.connect()));
    try {
      // Three transactions open at once, records interleaved; two abort, one commits.
      const transactions = await Promise.all(producers.map((p) => p.transaction()));
      for (const round of [1, 2])
        for (const [i, transaction] of transactions.entries())
          await transaction.send({ topic, messages: [{ value: `${'xyz'[i]}${round}` }] });
      await transactions[1]!.abort();
      await transactions[2]!.commit();
      await transactions[0]!.abort();
      const values: string[] = [];
      const reader = new PartitionConsumer(client, {
        groupId: uniqueName('wail_it_txn_mix_reader'),
        logger: silentLogger(),
        resolveTransactionsByMarkers: true,
        onBatch: async (batch) => {
          for (const record of batch.records) values.push(record.value!.toString());
        },
      });
      await reader.setTopics([topic]);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      await reader.stop();
      expect(values).toEqual(['z1', 'z2']);
    } finally {
      await Promise.all(producers.map((p) => p.disconnect()));
      await client.deleteTopics([topic]);
    }
  }, 60_000);
  it('releases held records when their commit marker arrives alone in a fetch', async () => {
    const topic = uniqueName('wail_it_txn_late_marker');
    await client.ensureTopics([{ topic, partitions: 1 }]);
    const kafka = new Kafka({
      brokers: kafkaBrokers,
      clientId: 'wail-it',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({
      transactionalId: `${topic}-p`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const values: string[] = [];
    let held = false;
    const reader = new PartitionConsumer(client, {
      groupId: uniqueName('wail_it_txn_late_reader'),
      logger: silentLogger(),
      resolveTransactionsByMarkers: true,
      onBatch: async (batch) => {
        if (batch.heldFrom !== undefined) held = true;
        for (const record of batch.records) values.push(record.value!.toString());
      },
    });
    try {
      await reader.setTopics([topic]);
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
      // The reader has fetched the records and holds them: the marker comes in a fetch of its own.
      await waitFor(() => held, { timeoutMs: 20_000, what: 'records held' });
      await transaction.commit();
      await waitFor(() => values.length === 2, { timeoutMs: 20_000, what: 'records released' });
      expect(values).toEqual(['a', 'b']);
    } finally {
      await reader.stop();
      await producer.disconnect();
      await client.deleteTopics([topic]);
    }
  }, 60_000);
  it('moves an eachMessage consumer past a commit marker it fetched alone', async () => {
    const topic = uniqueName('wail_it_txn_each_message');
    await client.ensureTopics([{ topic, partitions: 1 }]);
    const kafka = new Kafka({
      brokers: kafkaBrokers,
      clientId: 'wail-it',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({
      transactionalId: `${topic}-p`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const consumer = kafka.consumer({ groupId: uniqueName('wail_it_txn_each_message_reader') });
    await producer.connect();
    await consumer.connect();
    try {
      const values: string[] = [];
      let fetches = 0;
      consumer.on(consumer.events.FETCH, () => void fetches++);
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void values.push(message.value!.toString()),
      });
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: [{ value: 'a' }] });
      await transaction.commit();
      await waitFor(() => values.length === 1, { timeoutMs: 20_000, what: 'the record' });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Idle, a consumer waits on the broker (maxWaitTime) between fetches; one
      // stuck on the marker fetches it again at once, hundreds of times a second.
      fetches = 0;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(fetches).toBeLessThan(20);
      expect(values).toEqual(['a']);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await client.deleteTopics([topic]);
    }
  }, 60_000);
});
