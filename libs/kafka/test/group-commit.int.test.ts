import { silentLogger } from '@wail/telemetry';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { GroupCommitLog, KafkaClient, PartitionConsumer, type IncomingRecord } from '../src';

const { kafkaBrokers } = stackEnv();

describe('GroupCommitLog', () => {
  const topic = uniqueName('wail_it_gc');
  const client = new KafkaClient({
    brokers: kafkaBrokers,
    clientId: 'wail-it-gc',
    logger: silentLogger(),
  });
  const log = new GroupCommitLog(client);

  beforeAll(async () => {
    await client.ensureTopics([{ topic, partitions: 3 }]);
  });
  afterAll(async () => {
    await log.close();
    await client.deleteTopics([topic]);
    await client.close();
  });

  it('shares Kafka requests between concurrent appends and loses none of them', async () => {
    await log.connect();
    const before = { ...log.stats };
    const appends = Array.from({ length: 500 }, (_, i) =>
      log.append([{ topic, key: Buffer.from(`k${i % 50}`), value: Buffer.from(String(i)) }]),
    );
    await Promise.all(appends);
    const requests = log.stats.requests - before.requests;
    expect(log.stats.records - before.records).toBe(500);
    expect(requests).toBeLessThan(100);

    const received: IncomingRecord[] = [];
    const consumer = new PartitionConsumer(client, {
      groupId: uniqueName('wail_it_gc_group'),
      logger: silentLogger(),
      onBatch: async (batch) => {
        received.push(...batch.records);
      },
    });
    await consumer.setTopics([topic]);
    const deadline = Date.now() + 20_000;
    while (received.length < 500 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await consumer.stop();
    expect(new Set(received.map((record) => record.value?.toString())).size).toBe(500);
    // One key, one partition, in append order.
    const k7 = received.filter((record) => record.key?.toString() === 'k7');
    expect(new Set(k7.map((record) => record.partition)).size).toBe(1);
    const values = k7
      .sort((a, b) => Number(a.offset - b.offset))
      .map((record) => Number(record.value?.toString()));
    expect(values).toEqual([...values].sort((a, b) => a - b));
  }, 30_000);

  it('fails fast, unavailable, when no broker answers', async () => {
    const { host, port } = await deadAddress();
    const deadClient = new KafkaClient({
      brokers: [`${host}:${port}`],
      clientId: 'wail-it-dead',
      logger: silentLogger(),
      connectionTimeoutMs: 200,
    });
    const dead = new GroupCommitLog(deadClient, { appendTimeoutMs: 500, maxQueued: 10 });
    const started = Date.now();
    await expect(
      dead.append([{ topic, key: null, value: Buffer.from('x') }]),
    ).rejects.toMatchObject({
      name: 'KafkaError',
      failure: expect.stringMatching(/^(unavailable|timeout)$/),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    await dead.close();
    await deadClient.close();
  });

  it('refuses appends beyond its queue bound at once', async () => {
    const { host, port } = await deadAddress();
    const deadClient = new KafkaClient({
      brokers: [`${host}:${port}`],
      clientId: 'wail-it-full',
      logger: silentLogger(),
      connectionTimeoutMs: 200,
    });
    const full = new GroupCommitLog(deadClient, { appendTimeoutMs: 2000, maxQueued: 2 });
    const first = full
      .append([
        { topic, key: null, value: Buffer.from('1') },
        { topic, key: null, value: Buffer.from('2') },
      ])
      .catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    const second = full.append([
      { topic, key: null, value: Buffer.from('3') },
      { topic, key: null, value: Buffer.from('4') },
      { topic, key: null, value: Buffer.from('5') },
    ]);
    await expect(second).rejects.toThrow('queue is full');
    await expect(second).rejects.toMatchObject({ failure: 'queue-full' });
    await first;
    await full.close();
    await deadClient.close();
  });
});
