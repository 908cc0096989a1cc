import { ROUTE_REVISION_HEADER, type TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import { encodeIntent, newIntentId } from '@wail/intent';
import type { IncomingBatch, OutgoingRecord } from '@wail/kafka';
import { createMetricsRegistry, silentLogger, type Registry } from '@wail/telemetry';
import { AtLeastOnceDelivery } from './at-least-once';
import type { Delivery, HeldPartition } from './delivery';
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

const options = {
  keyConcurrency: 4,
  maxInFlightPerPartition: 1000,
  graceMs: 1000,
  coalesceMs: 0,
  maxEventBytes: 1_000_000,
  unmaterializedTopic: 'u',
  deadLetterTopic: 'd',
};

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
      // Only the routes' table names are read (metric labels); cart_items has none.
      routes: {
        all: () => new Map(['customers', 'orders'].map((t) => [t, {} as TableRoute])),
      } as unknown as RouteCache,
      models: untouchable<ModelCache>('models'),
      stores: new Map(),
      delivery,
      control: { pause: jest.fn(), resume: jest.fn(), seek: jest.fn() },
      logger: silentLogger(),
      metrics,
      ownsTable: (table) => table === 'customers',
      consumedTopics: () => ['shared'],
      options,
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
    expect(skipped).toContain('reason="table-set",table="_unknown",service="test"} 1');
    expect(skipped).not.toContain('cart_items');
    const consumed = await registry.getSingleMetricAsString('wail_consumer_intents_total');
    expect(consumed).not.toContain('table="orders"');
  });
});

describe('the position of a partition (consumer lag)', () => {
  it('is the next offset to commit while this member holds the partition, unknown before and after', async () => {
    const { deliveries } = modes();
    const p = new IntentProcessor({
      routes: { all: () => new Map() } as unknown as RouteCache,
      models: untouchable<ModelCache>('models'),
      stores: new Map(),
      delivery: deliveries.atLeastOnce,
      control: { pause: jest.fn(), resume: jest.fn(), seek: jest.fn() },
      logger: silentLogger(),
      metrics: consumerMetrics(createMetricsRegistry('test')),
      ownsTable: () => false,
      consumedTopics: () => ['shared'],
      options,
    });
    try {
      expect(p.position('shared', 0)).toBeUndefined();
      await p.onBatch(batch(['orders', 'orders'], 10));
      expect(p.position('shared', 0)).toBe(12n);
      expect(p.position('shared', 1)).toBeUndefined();
      p.retain(new Map([['shared', new Set([1])]]));
      expect(p.position('shared', 0)).toBeUndefined();
    } finally {
      p.stop();
    }
  });
});

describe('a clean cut (exactly-once under sustained load)', () => {
  it('pauses the partition when its delivery asks for a cut, and resumes it once the outputs committed', async () => {
    let view: HeldPartition | undefined;
    const delivery: Delivery = {
      open: (held) => {
        view = held;
        return {
          admit: async (b) => b.records,
          emit: async () => undefined,
          held: 0,
          dropped: () => undefined,
          released: () => undefined,
        };
      },
      publishes: () => true,
      commit: async () => undefined,
    };
    const control = { pause: jest.fn(), resume: jest.fn(), seek: jest.fn() };
    const p = new IntentProcessor({
      routes: { all: () => new Map() } as unknown as RouteCache,
      models: untouchable<ModelCache>('models'),
      stores: new Map(),
      delivery,
      control,
      logger: silentLogger(),
      metrics: consumerMetrics(createMetricsRegistry('test')),
      ownsTable: () => false,
      consumedTopics: () => ['shared'],
      options,
    });
    try {
      await p.onBatch(batch(['orders'], 0));
      view!.cut();
      view!.cut();
      expect(control.pause).toHaveBeenCalledTimes(1);
      expect(control.pause).toHaveBeenCalledWith('shared', 0);
      view!.relieved();
      expect(control.resume).toHaveBeenCalledWith('shared', 0);
    } finally {
      p.stop();
    }
  });
});

describe('metric labels of hostile intents', () => {
  let running: IntentProcessor | undefined;
  afterEach(() => running?.stop());

  function processor(ownsTable?: (table: string) => boolean) {
    const registry = createMetricsRegistry('test');
    const { deliveries } = modes();
    running = new IntentProcessor({
      routes: {
        all: () => new Map([['customers', {} as TableRoute]]),
        get: async () => undefined,
      } as unknown as RouteCache,
      models: untouchable<ModelCache>('models'),
      stores: new Map(),
      delivery: deliveries.atLeastOnce,
      control: { pause: jest.fn(), resume: jest.fn(), seek: jest.fn() },
      logger: silentLogger(),
      metrics: consumerMetrics(registry),
      ...(ownsTable ? { ownsTable } : {}),
      consumedTopics: () => ['shared'],
      options,
    });
    return { p: running, registry };
  }

  /** Series of a metric, as its exposition lines. */
  const series = async (registry: Registry, name: string) =>
    (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));

  const forged = Array.from({ length: 200 }, (_, i) => `forged_${i}`);

  it('counts intents of tables without a route in one _unknown series, however many names they carry', async () => {
    const { p, registry } = processor();
    await p.onBatch(batch([...forged, 'customers']));
    expect(await series(registry, 'wail_consumer_intents_total')).toEqual([
      'wail_consumer_intents_total{table="_unknown",service="test"} 200',
      'wail_consumer_intents_total{table="customers",service="test"} 1',
    ]);
  });

  it('counts skipped intents of tables without a route in one _unknown series', async () => {
    const { p, registry } = processor((table) => table === 'orders');
    await p.onBatch(batch([...forged, 'customers']));
    expect(await series(registry, 'wail_consumer_intents_skipped_total')).toEqual([
      'wail_consumer_intents_skipped_total{reason="table-set",table="_unknown",service="test"} 200',
      'wail_consumer_intents_skipped_total{reason="table-set",table="customers",service="test"} 1',
    ]);
  });
});

describe('a moving table (moves.ts)', () => {
  let running: IntentProcessor | undefined;
  afterEach(() => running?.stop());

  const route = (over: Partial<TableRoute>): TableRoute => ({
    table: 'items',
    store: 'mysql',
    database: 'shop',
    physicalTable: 'items',
    keyColumns: ['id'],
    intentTopic: 'shared',
    intentCluster: 'main',
    failureMode: 'transactional',
    visibilityWindowMs: 10_000,
    revision: 5,
    modelVersion: 1,
    ...over,
  });

  function processor(current: {
    route: TableRoute;
    drained: boolean;
    get?: () => Promise<TableRoute | undefined>;
    now?: () => number;
  }) {
    const { outputs, commits, deliveries } = modes();
    const forwarded: [string, string, bigint][] = [];
    const registry = createMetricsRegistry('test');
    const p = new IntentProcessor({
      routes: {
        all: () => new Map([['items', current.route]]),
        get: () => (current.get ?? (() => Promise.resolve(undefined)))(),
        get revision() {
          return current.route.revision;
        },
      } as unknown as RouteCache,
      models: untouchable<ModelCache>('models'),
      stores: new Map(),
      delivery: deliveries.atLeastOnce,
      control: { pause: jest.fn(), resume: jest.fn(), seek: jest.fn() },
      logger: silentLogger(),
      metrics: consumerMetrics(registry),
      consumedTopics: () => ['shared'],
      ...(current.now ? { now: current.now } : {}),
      moves: {
        cluster: 'main',
        drained: () => current.drained,
        forward: async (to, record) => {
          forwarded.push([to.intentCluster, to.intentTopic, record.offset]);
        },
      },
      options,
    });
    running = p;
    return { p, outputs, commits, forwarded, registry, delivery: deliveries.atLeastOnce };
  }

  it('forwards what it reads where the table no longer logs, and commits past it', async () => {
    const current = {
      route: route({ intentCluster: 'hot', intentTopic: 'hot.items' }),
      drained: false,
    };
    const { p, outputs, commits, forwarded, registry, delivery } = processor(current);
    await p.onBatch(batch(['items', 'items', 'items']));
    await new Promise((resolve) => setImmediate(resolve));
    expect(forwarded).toEqual([
      ['hot', 'hot.items', 0n],
      ['hot', 'hot.items', 1n],
      ['hot', 'hot.items', 2n],
    ]);
    expect(p.inFlight).toBe(0);
    await delivery.commit();
    expect(outputs).toEqual([]);
    expect(commits.at(-1)).toBe(3n);
    expect(
      await registry.getSingleMetricAsString('wail_consumer_intents_forwarded_total'),
    ).toContain('table="items",service="test"} 3');
    expect(p.inPlaceWork('shared', 0, 'items')).toEqual({ active: false, lastOffset: undefined });
  });

  it('holds the table where it moved to until its old location has drained, then releases it', async () => {
    const current = {
      route: route({ drainFrom: { intentCluster: 'cold', intentTopic: 'old', revision: 5 } }),
      drained: false,
    };
    const { p, forwarded, delivery, commits } = processor(current);
    await p.onBatch(batch(['items', 'items']));
    expect(p.heldIntents).toBe(2);
    expect(p.inFlight).toBe(2);
    await delivery.commit();
    // Never committed past a held intent.
    expect(commits.filter((offset) => offset > 0n)).toEqual([]);
    p.reconsider();
    expect(p.heldIntents).toBe(2);
    current.drained = true;
    p.reconsider();
    expect(p.heldIntents).toBe(0);
    // Released: processed here (the round runs; this fake has no models), never forwarded.
    expect(forwarded).toEqual([]);
    expect(p.inPlaceWork('shared', 0, 'items').lastOffset).toBe(1n);
  });

  it('holds an intent placed by a newer route than it has, and forwards it once the route arrives', async () => {
    const current = { route: route({}), drained: false };
    const { p, forwarded } = processor(current);
    const placed = batch(['items']);
    placed.records[0]!.headers = { [ROUTE_REVISION_HEADER]: Buffer.from('6') };
    await p.onBatch(placed);
    expect(p.heldIntents).toBe(1);
    current.route = route({ revision: 6, intentCluster: 'hot' });
    p.reconsider();
    await new Promise((resolve) => setImmediate(resolve));
    expect(p.heldIntents).toBe(0);
    expect(forwarded).toEqual([['hot', 'shared', 0n]]);
    expect(p.inFlight).toBe(0);
  });

  it('leaves a key whose round is running alone, and places it when the round ends', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const current = {
      route: route({}),
      drained: false,
      // The round of the first intent blocks on its route until the gate opens.
      get: async () => {
        await gate;
        throw new Error('the round ends here');
      },
    };
    const { p, forwarded } = processor(current);
    await p.onBatch(batch(['items']));
    expect(p.inPlaceWork('shared', 0, 'items').active).toBe(true);
    // A newer route placed the key's next intent: the key is held while its round runs.
    const newer = batch(['items'], 1);
    newer.records[0]!.value = batch(['items']).records[0]!.value;
    newer.records[0]!.headers = { [ROUTE_REVISION_HEADER]: Buffer.from('6') };
    await p.onBatch(newer);
    current.route = route({ revision: 6, intentCluster: 'hot' });
    p.reconsider();
    expect(forwarded).toEqual([]);
    expect(p.inPlaceWork('shared', 0, 'items').active).toBe(true);
    open();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(forwarded).toEqual([
      ['hot', 'shared', 0n],
      ['hot', 'shared', 1n],
    ]);
    expect(p.inPlaceWork('shared', 0, 'items').active).toBe(false);
  });

  it('holds an intent a newer route placed at most the grace period: a forged or stale header cannot pin a partition', async () => {
    let clock = 1_000_000;
    const current = { route: route({}), drained: false, now: () => clock };
    const { p, forwarded } = processor(current);
    const forged = batch(['items']);
    forged.records[0]!.headers = { [ROUTE_REVISION_HEADER]: Buffer.from('999999999999999') };
    await p.onBatch(forged);
    expect(p.heldIntents).toBe(1);
    clock += options.graceMs;
    p.reconsider();
    expect(p.heldIntents).toBe(1);
    clock += 1;
    p.reconsider();
    // Placed by the route it knows: here, so processed here, never forwarded.
    expect(p.heldIntents).toBe(0);
    expect(forwarded).toEqual([]);
    expect(p.inPlaceWork('shared', 0, 'items').lastOffset).toBe(0n);
  });
});
