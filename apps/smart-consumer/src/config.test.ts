import { isWailError } from '@wail/errors';
import { loadConfig } from './config';
import { eventClusterProblem } from './main';

function startUpError(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (error) {
    if (isWailError(error)) return error;
    throw error;
  }
  throw new Error('expected a CONFIG_INVALID');
}

describe('WAIL_CONSUMER_TABLES', () => {
  it('defaults to every table', () => {
    expect(loadConfig({}).tables.isEverything).toBe(true);
    expect(loadConfig({ WAIL_CONSUMER_TABLES: '' }).tables.isEverything).toBe(true);
  });

  it('limits the consumer to the tables it names', () => {
    const { tables } = loadConfig({ WAIL_CONSUMER_TABLES: 'orders,cart_*' });
    expect(tables.has('orders')).toBe(true);
    expect(tables.has('cart_items')).toBe(true);
    expect(tables.has('customers')).toBe(false);
  });

  it('refuses to start on a set outside the grammar, naming the variable and the entry', () => {
    const error = startUpError({ WAIL_CONSUMER_TABLES: 'orders,shop.cart' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('WAIL_CONSUMER_TABLES');
    expect(error.message).toContain('"shop.cart"');
  });
});

describe('WAIL_CONSUMER_CLUSTER and WAIL_CONSUMER_EVENT_CLUSTER', () => {
  const clusters = { WAIL_KAFKA_CLUSTERS: 'hot=127.0.0.1:9192' };

  it('default to main, whose brokers are WAIL_KAFKA_BROKERS', () => {
    const config = loadConfig({ WAIL_KAFKA_BROKERS: 'k:9092' });
    expect(config.clusters).toEqual({ intents: 'main', events: 'main' });
    expect(config.kafka.clusters.get('main')).toEqual(['k:9092']);
  });

  it('read one named cluster and publish to another', () => {
    const config = loadConfig({ ...clusters, WAIL_CONSUMER_CLUSTER: 'hot' });
    expect(config.clusters).toEqual({ intents: 'hot', events: 'main' });
    expect(config.kafka.clusters.get('hot')).toEqual(['127.0.0.1:9192']);
  });

  it('refuse a cluster WAIL_KAFKA_CLUSTERS does not name', () => {
    const error = startUpError({ WAIL_CONSUMER_EVENT_CLUSTER: 'hot' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('WAIL_CONSUMER_EVENT_CLUSTER: "hot" is not a cluster');
  });

  it('refuse exactly-once delivery publishing to another cluster than it reads', () => {
    const error = startUpError({
      ...clusters,
      WAIL_CONSUMER_CLUSTER: 'hot',
      WAIL_CONSUMER_DELIVERY: 'exactly-once',
    });
    expect(error.message).toContain('exactly-once delivery commits events with the offsets');
    expect(
      loadConfig({
        ...clusters,
        WAIL_CONSUMER_CLUSTER: 'hot',
        WAIL_CONSUMER_EVENT_CLUSTER: 'hot',
        WAIL_CONSUMER_DELIVERY: 'exactly-once',
      }).clusters,
    ).toEqual({ intents: 'hot', events: 'hot' });
  });
});

describe('a model naming its event cluster', () => {
  const clusters = { WAIL_KAFKA_CLUSTERS: 'hot=127.0.0.1:9192' };

  it('is published to by an at-least-once consumer that has its brokers', () => {
    const config = loadConfig(clusters);
    expect(eventClusterProblem(config, 'hot')).toBeUndefined();
    expect(eventClusterProblem(config, 'main')).toBeUndefined();
    expect(eventClusterProblem(config, 'cold')).toContain('no brokers for (WAIL_KAFKA_CLUSTERS');
  });

  it('is published to by an exactly-once consumer only when it is the cluster it reads', () => {
    const config = loadConfig({ ...clusters, WAIL_CONSUMER_DELIVERY: 'exactly-once' });
    expect(eventClusterProblem(config, 'main')).toBeUndefined();
    expect(eventClusterProblem(config, 'hot')).toContain('one transaction spans one cluster');
  });
});

describe('WAIL_CONSUMER_SESSION_TIMEOUT_MS', () => {
  it('defaults to 10 s and takes a whole number of milliseconds from 6 s to 5 min', () => {
    expect(loadConfig({}).pipeline.sessionTimeoutMs).toBe(10_000);
    expect(loadConfig({ WAIL_CONSUMER_SESSION_TIMEOUT_MS: '6000' }).pipeline.sessionTimeoutMs).toBe(
      6000,
    );
  });

  it.each(['5999', '300001', '7.5', 'ten', '1'.repeat(400)])(
    'refuses %s, naming the variable',
    (value) => {
      const error = startUpError({ WAIL_CONSUMER_SESSION_TIMEOUT_MS: value.slice(0, 400) });
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('WAIL_CONSUMER_SESSION_TIMEOUT_MS');
    },
  );
});
