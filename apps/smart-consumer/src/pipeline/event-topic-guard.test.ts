import { DEAD_LETTER_HEADERS, type TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import { encodeIntent, newIntentId } from '@wail/intent';
import type { OutgoingRecord } from '@wail/kafka';
import type { RowStore, StoreKind } from '@wail/store';
import { createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { AtLeastOnceDelivery } from './at-least-once';
import { forbiddenEventTopic } from './event-topic-guard';
import { IntentProcessor } from './intent-processor';
import { consumerMetrics } from './metrics';
import type { ModelCache, ResolvedModel } from './model-cache';

const own = {
  consumed: ['wail.intents', 'wail.intents.old'],
  unmaterializedTopic: 'wail.intents.unmaterialized',
  deadLetterTopic: 'wail.dlq',
};

describe('forbiddenEventTopic', () => {
  it.each([
    ['wail.intents', 'the intent topic "wail.intents" this consumer reads'],
    ['wail_intents_old', 'the intent topic "wail.intents.old" this consumer reads'],
    ['wail.intents.unmaterialized', "this consumer's unmaterialized-intents topic"],
    ['wail.dlq', "this consumer's dead-letter topic"],
    ['wail_dlq', "this consumer's dead-letter topic"],
  ])('refuses %s', (topic, reason) => {
    expect(forbiddenEventTopic(topic, own)).toContain(reason);
  });

  it('lets any other topic through', () => {
    expect(forbiddenEventTopic('wail.events.customers', own)).toBeUndefined();
  });
});

/**
 * The processor itself, on fakes: a model whose event topic is one of the
 * consumer's own topics never gets an event; its intents are dead-lettered
 * with EVENT_TOPIC_FORBIDDEN and their offsets finish.
 */
describe('the intent processor', () => {
  const intentTopic = 'wail.intents.shop';
  const route: TableRoute = {
    table: 'customers',
    store: 'mysql',
    database: 'shop',
    physicalTable: 'customers',
    keyColumns: ['id'],
    intentTopic,
    intentCluster: 'main',
    failureMode: 'transactional',
    visibilityWindowMs: 10_000,
    revision: 1,
    modelVersion: 1,
  };

  function harness(eventTopic: string) {
    const sent: OutgoingRecord[] = [];
    const reads: unknown[] = [];
    const routes = {
      get: async (table: string) => (table === route.table ? route : undefined),
      all: () => new Map([[route.table, route]]),
    } as unknown as RouteCache;
    const models = {
      get: async () => ({ table: route.table, version: 1, eventTopic }) as ResolvedModel,
    } as unknown as ModelCache;
    const store = {
      read: async (...args: unknown[]) => {
        reads.push(args);
        return { state: 'absent', deletedTs: undefined };
      },
    } as unknown as RowStore;
    const delivery = new AtLeastOnceDelivery({
      publisher: {
        append: async (records: readonly OutgoingRecord[]) => {
          sent.push(...records);
        },
      },
      commitOffsets: async () => undefined,
    });
    const processor = new IntentProcessor({
      routes,
      models,
      stores: new Map<StoreKind, RowStore>([['mysql', store]]),
      delivery,
      control: { pause: () => undefined, resume: () => undefined, seek: () => undefined },
      logger: silentLogger(),
      metrics: consumerMetrics(createMetricsRegistry('guard-test')),
      options: {
        keyConcurrency: 4,
        maxInFlightPerPartition: 100,
        graceMs: 0,
        coalesceMs: 0,
        unmaterializedTopic: 'wail.intents.unmaterialized',
        deadLetterTopic: 'wail.dlq',
        maxEventBytes: 1_000_000,
      },
    });
    const value = Buffer.from(
      encodeIntent({
        intentId: newIntentId(),
        table: route.table,
        op: 'upsert',
        key: [{ name: 'id', value: 7n }],
        ts: BigInt(Date.now()) * 1000n,
        proxyId: 'test',
      }),
    );
    const deliver = () =>
      processor.onBatch({
        topic: intentTopic,
        partition: 0,
        isStale: () => false,
        records: [
          {
            topic: intentTopic,
            partition: 0,
            offset: 41n,
            key: null,
            value,
            headers: {},
            timestamp: 0,
          },
        ],
      });
    return { processor, delivery, sent, reads, deliver };
  }

  it.each([intentTopic, 'wail.intents.unmaterialized', 'wail.dlq'])(
    'dead-letters instead of publishing an event to %s',
    async (eventTopic) => {
      const { processor, delivery, sent, reads, deliver } = harness(eventTopic);
      await deliver();
      await processor.drain(2000);
      expect(delivery.safeOffsets()).toEqual([{ topic: intentTopic, partition: 0, offset: 42n }]);
      processor.stop();
      expect(reads).toHaveLength(0);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.topic).toBe('wail.dlq');
      expect(String(sent[0]!.headers?.[DEAD_LETTER_HEADERS.code])).toBe('EVENT_TOPIC_FORBIDDEN');
      expect(String(sent[0]!.headers?.[DEAD_LETTER_HEADERS.message])).toContain(eventTopic);
    },
  );

  it('reads the row as usual for an event topic of its own', async () => {
    const { processor, sent, reads, deliver } = harness('wail.events.customers');
    await deliver();
    await new Promise((resolve) => setTimeout(resolve, 50));
    processor.stop();
    expect(reads.length).toBeGreaterThan(0);
    expect(sent).toHaveLength(0);
  });
});
