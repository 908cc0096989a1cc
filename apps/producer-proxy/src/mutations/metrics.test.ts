import { createMetricsRegistry, type Registry } from '@wail/telemetry';
import { proxyMetrics } from './metrics';

/** A metric's samples, as exposition lines. */
const samples = async (registry: Registry, name: string) =>
  (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));

describe('proxy metrics', () => {
  it('exports intent requests and records as counters read at scrape time (intents per request is their ratio in PromQL)', async () => {
    const registry = createMetricsRegistry('test');
    const stats = { requests: 0, records: 0 };
    proxyMetrics(registry).observe({
      backlogSize: () => 0,
      intentRequests: () => stats.requests,
      intentRecords: () => stats.records,
    });
    expect(await samples(registry, 'wail_proxy_intent_requests_total')).toEqual([
      'wail_proxy_intent_requests_total{service="test"} 0',
    ]);
    stats.requests = 3;
    stats.records = 40;
    expect(await samples(registry, 'wail_proxy_intent_requests_total')).toEqual([
      'wail_proxy_intent_requests_total{service="test"} 3',
    ]);
    stats.requests = 5;
    stats.records = 41;
    // Scraped twice: a total, never an increment added again.
    await registry.metrics();
    expect(await samples(registry, 'wail_proxy_intent_requests_total')).toEqual([
      'wail_proxy_intent_requests_total{service="test"} 5',
    ]);
    expect(await samples(registry, 'wail_proxy_intent_records_total')).toEqual([
      'wail_proxy_intent_records_total{service="test"} 41',
    ]);
    const all = await registry.metrics();
    expect(all).toContain('# TYPE wail_proxy_intent_records_total counter');
    expect(all).not.toContain('wail_proxy_intent_records_per_request');
  });

  it('has an intent-append histogram with the buckets of the mutation latency', async () => {
    const registry = createMetricsRegistry('test');
    const metrics = proxyMetrics(registry);
    metrics.appendSeconds.observe(0.004);
    metrics.latency.observe({ kind: 'single' }, 0.004);
    const buckets = (lines: string[]) =>
      lines.filter((l) => l.includes('_bucket')).map((l) => /le="([^"]+)"/.exec(l)![1]);
    const append = await samples(registry, 'wail_proxy_intent_append_seconds');
    expect(buckets(append)).toEqual(
      buckets(await samples(registry, 'wail_proxy_mutation_seconds')),
    );
    expect(append).toContain(
      'wail_proxy_intent_append_seconds_bucket{le="0.005",service="test"} 1',
    );
    expect(append).toContain(
      'wail_proxy_intent_append_seconds_bucket{le="0.0025",service="test"} 0',
    );
    expect(append).toContain('wail_proxy_intent_append_seconds_count{service="test"} 1');
  });
});
