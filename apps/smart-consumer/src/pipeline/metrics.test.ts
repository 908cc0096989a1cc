import { Registry } from 'prom-client';
import { consumerMetrics } from './metrics';

async function series(registry: Registry, name: string) {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.map(({ labels, value }) => ({ labels, value }));
}

describe('the consumer metrics', () => {
  it('exports every code a dead letter can carry from 0, so the first one has a rate', async () => {
    const registry = new Registry();
    consumerMetrics(registry);
    const codes = (await series(registry, 'wail_consumer_dead_letters_total')).map(
      ({ labels, value }) => ({ code: labels['code'], value }),
    );
    expect(codes).toContainEqual({ code: 'INTENT_MALFORMED', value: 0 });
    expect(codes).toContainEqual({ code: 'UNKNOWN_TABLE_PAST_GRACE', value: 0 });
    // A retriable error is retried, never dead-lettered.
    expect(codes.map(({ code }) => code)).not.toContain('DATABASE_UNAVAILABLE');
  });

  it('exports the unmaterialized counters of each routed table from 0, once per table', async () => {
    const registry = new Registry();
    const metrics = consumerMetrics(registry);
    expect(await series(registry, 'wail_consumer_unmaterialized_total')).toEqual([]);
    metrics.knowTables(['items']);
    metrics.unmaterialized.inc({ table: 'items', reason: 'row-missing' });
    metrics.knowTables(['items']);
    expect(await series(registry, 'wail_consumer_unmaterialized_total')).toEqual([
      { labels: { table: 'items', reason: 'row-missing' }, value: 1 },
      { labels: { table: 'items', reason: 'older-version' }, value: 0 },
      { labels: { table: 'items', reason: 'older-delete' }, value: 0 },
    ]);
  });

  it('reports the first-read delay in seconds, read when scraped', async () => {
    const registry = new Registry();
    let delayMs = 0;
    consumerMetrics(registry).observeFirstReadDelay(() => delayMs);
    expect(await series(registry, 'wail_consumer_first_read_delay_seconds')).toEqual([
      { labels: {}, value: 0 },
    ]);
    delayMs = 12.5;
    expect(await series(registry, 'wail_consumer_first_read_delay_seconds')).toEqual([
      { labels: {}, value: 0.0125 },
    ]);
  });
});
