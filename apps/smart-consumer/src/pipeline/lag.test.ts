import { createMetricsRegistry, type Registry } from '@wail/telemetry';
import { LagReader, type LagSources, type PartitionOffsets } from './lag';
import { consumerMetrics } from './metrics';

type Offsets = Map<string, Map<number, PartitionOffsets>>;

/** A member owning partitions, what it processed, and a Kafka answering `offsets`. */
function member(kafka: Offsets) {
  const owned = new Map<string, Set<number>>();
  const positions = new Map<string, bigint>();
  const oldest = new Map<string, number>();
  const fetches: string[][] = [];
  let answer: (topics: readonly string[]) => Promise<Offsets> = async () => kafka;
  const sources: LagSources = {
    owned: () => owned,
    position: (topic, partition) => positions.get(`${topic}/${partition}`),
    oldestTimestamp: (topic, partition) => oldest.get(`${topic}/${partition}`),
    offsets: (topics) => {
      fetches.push([...topics]);
      return answer(topics);
    },
  };
  return {
    owned,
    positions,
    oldest,
    fetches,
    sources,
    answerWith(next: typeof answer) {
      answer = next;
    },
  };
}

const offsets = (
  topic: string,
  partitions: Record<number, PartitionOffsets>,
): [string, Map<number, PartitionOffsets>] => [
  topic,
  new Map(Object.entries(partitions).map(([p, o]) => [Number(p), o])),
];

/** The lag gauge's samples, as exposition lines. */
const samples = async (registry: Registry) =>
  (await registry.getSingleMetricAsString('wail_consumer_lag_records'))
    .split('\n')
    .filter((line) => !line.startsWith('#'));

describe('consumer lag', () => {
  it('is the high watermark minus what this member processed, else what the group committed, else the low watermark', async () => {
    const kafka: Offsets = new Map([
      offsets('intents', {
        0: { low: 0n, high: 100n, committed: 40n },
        1: { low: 10n, high: 50n, committed: 20n },
        2: { low: 30n, high: 80n },
        3: { low: 60n, high: 90n, committed: 5n },
        4: { low: 0n, high: 7n, committed: 7n },
      }),
    ]);
    const m = member(kafka);
    m.owned.set('intents', new Set([0, 1, 2, 3, 4]));
    m.positions.set('intents/0', 90n);
    expect(await new LagReader(m.sources).lag()).toEqual([
      { topic: 'intents', partition: 0, records: 10n },
      { topic: 'intents', partition: 1, records: 30n },
      { topic: 'intents', partition: 2, records: 50n },
      // Committed below what retention kept: the group starts at the low watermark.
      { topic: 'intents', partition: 3, records: 30n },
      { topic: 'intents', partition: 4, records: 0n, seconds: 0 },
    ]);
  });

  it('in seconds: 0 without lag, else the age of the oldest unfinished intent, unknown before this member saw one', async () => {
    const kafka: Offsets = new Map([
      offsets('a', {
        0: { low: 0n, high: 5n },
        1: { low: 0n, high: 9n },
        2: { low: 0n, high: 4n },
      }),
    ]);
    const m = member(kafka);
    m.owned.set('a', new Set([0, 1, 2]));
    m.positions.set('a/0', 5n);
    m.positions.set('a/1', 7n);
    m.oldest.set('a/0', 1_000);
    m.oldest.set('a/1', 7_500);
    const registry = createMetricsRegistry('test');
    const reader = new LagReader(m.sources, { now: () => 10_000 });
    consumerMetrics(registry).observeLag(() => reader.lag());
    const seconds = (await registry.getSingleMetricAsString('wail_consumer_lag_seconds'))
      .split('\n')
      .filter((line) => !line.startsWith('#'));
    expect(seconds).toEqual([
      'wail_consumer_lag_seconds{topic="a",partition="0",service="test"} 0',
      'wail_consumer_lag_seconds{topic="a",partition="1",service="test"} 2.5',
    ]);
  });

  it('has series only for the partitions this member owns, and drops a revoked one', async () => {
    const kafka: Offsets = new Map([
      offsets('a', { 0: { low: 0n, high: 5n }, 1: { low: 0n, high: 9n } }),
      offsets('b', { 0: { low: 0n, high: 3n } }),
    ]);
    const m = member(kafka);
    m.owned.set('a', new Set([1]));
    m.owned.set('b', new Set([0]));
    const registry = createMetricsRegistry('test');
    const reader = new LagReader(m.sources, { cacheMs: 0 });
    consumerMetrics(registry).observeLag(() => reader.lag());
    expect(await samples(registry)).toEqual([
      'wail_consumer_lag_records{topic="a",partition="1",service="test"} 9',
      'wail_consumer_lag_records{topic="b",partition="0",service="test"} 3',
    ]);
    expect(m.fetches).toEqual([['a', 'b']]);
    m.owned.get('a')!.delete(1);
    m.owned.get('b')!.add(1);
    expect(await samples(registry)).toEqual([
      'wail_consumer_lag_records{topic="b",partition="0",service="test"} 3',
    ]);
    m.owned.clear();
    expect(await samples(registry)).toEqual([]);
  });

  it('asks Kafka at most once per cache period, and again for another set of topics', async () => {
    const m = member(new Map([offsets('a', { 0: { low: 0n, high: 5n } })]));
    m.owned.set('a', new Set([0]));
    let clock = 0;
    const reader = new LagReader(m.sources, { cacheMs: 1000, now: () => clock });
    await reader.lag();
    clock += 999;
    await reader.lag();
    expect(m.fetches).toHaveLength(1);
    m.owned.set('b', new Set([0]));
    await reader.lag();
    expect(m.fetches).toEqual([['a'], ['a', 'b']]);
    clock += 1000;
    m.owned.delete('b');
    await reader.lag();
    await reader.lag();
    expect(m.fetches).toEqual([['a'], ['a', 'b'], ['a']]);
  });

  it('never holds a scrape longer than the timeout: a slow Kafka leaves the lag out, and its request is reused, not repeated', async () => {
    const m = member(new Map([offsets('a', { 0: { low: 0n, high: 5n } })]));
    m.owned.set('a', new Set([0]));
    let answer!: (offsets: Offsets) => void;
    m.answerWith(() => new Promise<Offsets>((resolve) => (answer = resolve)));
    const failures: unknown[] = [];
    const registry = createMetricsRegistry('test');
    const reader = new LagReader(m.sources, {
      timeoutMs: 50,
      onFailure: (error) => failures.push(error),
    });
    consumerMetrics(registry).observeLag(() => reader.lag());
    const started = Date.now();
    expect(await samples(registry)).toEqual([]);
    expect(await reader.lag()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(m.fetches).toHaveLength(1);
    expect(failures).toHaveLength(2);
    // The answer lands late: the next scrape uses it.
    answer(new Map([offsets('a', { 0: { low: 0n, high: 8n } })]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await reader.lag()).toEqual([{ topic: 'a', partition: 0, records: 8n }]);
    expect(m.fetches).toHaveLength(1);
  });

  it('leaves the lag out when Kafka fails, and asks again at the next scrape', async () => {
    const m = member(new Map([offsets('a', { 0: { low: 0n, high: 5n } })]));
    m.owned.set('a', new Set([0]));
    m.answerWith(() => Promise.reject(new Error('no broker')));
    const reader = new LagReader(m.sources, { onFailure: () => undefined });
    expect(await reader.lag()).toEqual([]);
    m.answerWith(async () => new Map([offsets('a', { 0: { low: 0n, high: 5n } })]));
    expect(await reader.lag()).toEqual([{ topic: 'a', partition: 0, records: 5n }]);
    expect(m.fetches).toHaveLength(2);
  });
});
