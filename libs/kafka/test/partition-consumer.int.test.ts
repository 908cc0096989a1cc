import net from 'node:net';
import { silentLogger } from '@wail/telemetry';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { KafkaClient, PartitionConsumer, type IncomingRecord } from '../src';

const { kafkaBrokers } = stackEnv();

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/**
 * A member kafkajs gives up on must not leave the process up with its
 * partitions unread (a chaos run lost 9,604 intents that way after a broker
 * restart: "The coordinator is loading…", then a crash without restart).
 */
describe('PartitionConsumer when kafkajs gives up on its member', () => {
  const topic = uniqueName('wail_it_pcrash');
  const client = new KafkaClient({
    brokers: kafkaBrokers,
    clientId: 'wail-it-pcrash',
    logger: silentLogger(),
  });

  beforeAll(async () => {
    await client.ensureTopics([{ topic, partitions: 1 }]);
    const producer = client.createProducer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: ['a', 'b', 'c'].map((value) => ({ key: value, value })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await client.deleteTopics([topic]);
    await client.close();
  });

  it('rebuilds a member that crashed for good; it reads again from the committed offset', async () => {
    const received: IncomingRecord[] = [];
    const assignments: number[] = [];
    let failed = false;
    let controlError: unknown;
    const consumer: PartitionConsumer = new PartitionConsumer(client, {
      groupId: uniqueName('wail_it_pcrash_group'),
      logger: silentLogger(),
      onBatch: async (batch) => {
        if (!failed) {
          failed = true;
          // While the member is down (before its rebuild, 0.5 s later), what
          // the processor may do: kafkajs itself throws on a stopped member.
          setTimeout(() => {
            try {
              consumer.pause(topic, 0);
              consumer.seek(topic, 0, 0n);
              consumer.resume(topic, 0);
            } catch (error) {
              controlError = error;
            }
          }, 250);
          // kafkajs does not restart a member after a non-retriable error.
          throw Object.assign(new Error('not retriable'), { retriable: false });
        }
        received.push(...batch.records);
      },
      onAssignment: (owned) => {
        assignments.push(owned.get(topic)?.size ?? 0);
      },
    });
    await consumer.setTopics([topic]);
    await until(() => received.length >= 3, 30_000);
    await consumer.stop();

    expect(failed).toBe(true);
    expect(controlError).toBeUndefined();
    expect(received.map((record) => record.value?.toString())).toEqual(['a', 'b', 'c']);
    // Started, owned, forgotten when the member is rebuilt (kafkajs' own restart
    // would not start afresh) and owned by the rebuilt member.
    expect(assignments).toEqual([0, 1, 0, 1]);
  }, 45_000);

  it('tries a start that failed (no broker reachable) again until it joins', async () => {
    // A bootstrap address that refuses connections first, then forwards to Kafka.
    const [brokerHost, brokerPort] = kafkaBrokers[0]!.split(':') as [string, string];
    const { port } = await deadAddress();
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((socket) => {
      const upstream = net.connect(Number(brokerPort), brokerHost);
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    const unreachable = new KafkaClient({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'wail-it-pcrash-late',
      logger: silentLogger(),
      connectionTimeoutMs: 300,
    });
    const received: IncomingRecord[] = [];
    const consumer = new PartitionConsumer(unreachable, {
      groupId: uniqueName('wail_it_pcrash_late'),
      logger: silentLogger(),
      onBatch: async (batch) => {
        received.push(...batch.records);
      },
    });
    try {
      await consumer.setTopics([topic]);
      expect(received).toHaveLength(0);
      await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
      await until(() => received.length >= 3, 30_000);
      expect(received.map((record) => record.value?.toString())).toEqual(['a', 'b', 'c']);
    } finally {
      await consumer.stop();
      await unreachable.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  }, 45_000);
});
