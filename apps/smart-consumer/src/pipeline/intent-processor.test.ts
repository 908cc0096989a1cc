import type { RouteCache } from '@wail/control-plane';
import { encodeIntent, newIntentId } from '@wail/intent';
import type { IncomingBatch, OutgoingRecord } from '@wail/kafka';
import { createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { AtLeastOnceDelivery } from './at-least-once';
import type { Delivery } from './delivery';
import { ExactlyOnceDelivery } from './exactly-once';
import { IntentProcessor } from './intent-processor';
import { consumerMetrics } from './metrics';
import type { ModelCache } from './model-cache';

const intentOf = (table: string, id: number) =>
  Buffer.from(
    encodeIntent({
      intentId: newIntentId(),
      table,
      op: 'upsert',
      key: [{ name: 'id', value: BigInt(id) }],
      ts: 1_000_000n + BigInt(id),
      proxyId: 'test',
    }),
  );

const batch = (tables: string[], first = 0): IncomingBatch => ({
  topic: 'shared',
  partition: 0,
  isStale: () => false,
  records: tables.map((table, i) => ({
    topic: 'shared',
    partition: 0,
    offset: BigInt(first + i),
    key: null,
    value: intentOf(table, first + i),
    headers: {},
    timestamp: 0,
  })),
});

/** Delivery modes recording what reaches Kafka: outputs and committed offsets. */
function modes() {
  const outputs: OutgoingRecord[] = [];
  const commits: bigint[] = [];
  const atLeastOnce = new AtLeastOnceDelivery({
    publisher: {
      append: async (records) => {
        outputs.push(...records);
      },
    },
    commitOffsets: async (offsets) => {
      commits.push(...offsets.map((o) => o.offset));
    },
  });
  const exactlyOnce = new ExactlyOnceDelivery({
    logger: silentLogger(),
    transactions: {
      claim: async () => undefined,
      commit: async (_topic, _partition, records, offset) => {
        outputs.push(...records);
        commits.push(offset);
      },
      release: async () => undefined,
    },
  });
  return { outputs, commits, deliveries: { atLeastOnce, exactlyOnce } };
}

/** Anything a round would touch: a skipped intent must never reach it. */
const untouchable = <T extends object>(what: string) =>
  new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`${what}.${String(property)} was used for a skipped intent`);
    },
  });

describe.each(['atLeastOnce', 'exactlyOnce'] as const)('table set (%s)', (mode) => {
  let running: IntentProcessor | undefined;
  afterEach(() => running?.stop());

  function processor(delivery: Delivery) {
    const registry = createMetricsRegistry('test');
    const metrics = consumerMetrics(registry);
    const processor = new IntentProcessor({
      routes: untouchable<RouteCache>('routes'),
      models: untouchable<ModelCache>('models'),
      stores: new Map(),
      delivery,
      control: { pause: jest.fn(), resume: jest.fn(), seek: jest.fn() },
      logger: silentLogger(),
      metrics,
      ownsTable: (table) => table === 'customers',
      consumedTopics: () => ['shared'],
      options: {
        keyConcurrency: 4,
        maxInFlightPerPartition: 1000,
        graceMs: 1000,
        coalesceMs: 0,
        maxEventBytes: 1_000_000,
        unmaterializedTopic: 'u',
        deadLetterTopic: 'd',
      },
    });
    running = processor;
    return { processor, registry };
  }

  it('commits past intents of tables outside the set without reading, publishing or dead-lettering them', async () => {
    const { outputs, commits, deliveries } = modes();
    const delivery = deliveries[mode];
    const { processor: p, registry } = processor(delivery);

    await p.onBatch(batch(['orders', 'orders', 'cart_items']));
    expect(p.inFlight).toBe(0);
    await delivery.commit();
    await p.onBatch(batch(['orders'], 3));
    await delivery.commit();

    expect(outputs).toEqual([]);
    expect(commits.at(-1)).toBe(4n);
    const skipped = await registry.getSingleMetricAsString('wail_consumer_intents_skipped_total');
    expect(skipped).toContain('reason="table-set",table="orders",service="test"} 3');
    expect(skipped).toContain('reason="table-set",table="cart_items",service="test"} 1');
    const consumed = await registry.getSingleMetricAsString('wail_consumer_intents_total');
    expect(consumed).not.toContain('table="orders"');
  });
});
