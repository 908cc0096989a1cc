import { silentLogger } from '@wail/telemetry';
import { stackEnv, uniqueName } from '@wail/testing';
import { GroupCommitLog, KafkaClient, PartitionConsumer, type IncomingRecord } from '../src';

const { kafkaBrokers } = stackEnv();

/**
 * Records Kafka refuses as too large, on real topics whose
 * `max.message.bytes` is small (issue 9 item 4).
 */
describe('GroupCommitLog with a record the broker refuses', () => {
  const name = uniqueName('wail_it_gcsize');
  const small = `${name}.small`;
  const normal = `${name}.normal`;
  const client = new KafkaClient({
    brokers: kafkaBrokers,
    clientId: 'wail-it-gcsize',
    logger: silentLogger(),
  });
  const log = new GroupCommitLog(client, { appendTimeoutMs: 5000 });

  beforeAll(async () => {
    await client.ensureTopics([
      { topic: small, partitions: 3, config: { 'max.message.bytes': '4096' } },
      { topic: normal, partitions: 3 },
    ]);
    await log.connect();
  });
  afterAll(async () => {
    await log.close();
    await client.deleteTopics([small, normal]);
    await client.close();
  });

  const record = (topic: string, key: string, value: string) => ({
    topic,
    key: Buffer.from(key),
    value: Buffer.from(value),
  });

  /** Every record of a topic, once its end offsets are reached. */
  async function readAll(topic: string): Promise<IncomingRecord[]> {
    const ends = await client.endOffsets(topic);
    const total = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
    const received: IncomingRecord[] = [];
    const consumer = new PartitionConsumer(client, {
      groupId: uniqueName('wail_it_gcsize_read'),
      logger: silentLogger(),
      onBatch: async (batch) => {
        received.push(...batch.records);
      },
    });
    await consumer.setTopics([topic]);
    const deadline = Date.now() + 20_000;
    while (received.length < total && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await consumer.stop();
    return received;
  }

  it('fails only the refused record; the others of its request are acknowledged and on the topic once', async () => {
    // One append in flight, so the next 41 queue and share one request.
    const first = log.append([record(small, 'first', 'first')]);
    const others = Array.from({ length: 40 }, (_, i) =>
      log.append([record(small, `key-${i}`, `small-${i}`)]),
    );
    const oversized = log.append([record(small, 'key-7', 'x'.repeat(6000))]);
    await first;
    await expect(oversized).rejects.toMatchObject({
      name: 'KafkaError',
      failure: 'too-large',
      message: expect.stringMatching(
        /record of \d+ bytes as too large \(max.message.bytes of its topic\)/,
      ),
    });
    const settled = await Promise.allSettled(others);
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);

    // The producer is in step again: later appends, of every size of request, all land.
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: round + 1 }, (_, i) =>
          log.append([record(small, `key-${i}`, `after-${round}-${i}`)]),
        ),
      );
    }
    const values = (await readAll(small)).map((r) => r.value!.toString());
    const expected = [
      'first',
      ...Array.from({ length: 40 }, (_, i) => `small-${i}`),
      ...Array.from({ length: 5 }, (_, round) =>
        Array.from({ length: round + 1 }, (_, i) => `after-${round}-${i}`),
      ).flat(),
    ];
    expect(values.sort()).toEqual(expected.sort());
  }, 60_000);

  it('loses no acknowledged record after a request in which one topic refused a record and another appended', async () => {
    await log.append([record(normal, 'k', 'before')]);
    // In one request: an appended record on one topic, a refused one on another.
    const inFlight = log.append([record(normal, 'warm', 'warm')]);
    const appended = log.append([record(normal, 'k', 'together')]);
    const refused = log.append([record(small, 'k', 'x'.repeat(6000))]);
    await inFlight;
    const refusal = await refused.then(
      () => undefined,
      (error: unknown) => error,
    );
    const together = await appended.then(
      () => 'acknowledged',
      () => 'failed',
    );
    // kafkajs rolls back the sequence of the partition the broker appended: a
    // next request with the same record count is taken for a duplicate and
    // dropped while kafkajs reports success.
    await log.append([record(normal, 'k', 'next')]);
    await log.append([record(normal, 'k', 'next-2'), record(normal, 'k', 'next-3')]);
    const values = (await readAll(normal)).map((r) => r.value!.toString());
    expect(values).toEqual(expect.arrayContaining(['before', 'warm', 'next', 'next-2', 'next-3']));
    expect(together).toBe('acknowledged');
    expect(values.sort()).toEqual(['before', 'next', 'next-2', 'next-3', 'together', 'warm']);
    expect(refusal).toMatchObject({ name: 'KafkaError', failure: 'too-large' });
  }, 60_000);

  it('keeps records that are small one by one but too large together in separate requests', async () => {
    const before = log.stats.requests;
    const appends = Array.from({ length: 8 }, (_, i) =>
      log.append([record(normal, `big-${i}`, 'y'.repeat(300_000))]),
    );
    await Promise.all(appends);
    expect(log.stats.requests - before).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
