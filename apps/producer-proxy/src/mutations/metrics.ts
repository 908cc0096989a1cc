import { Counter, Gauge, Histogram, type Registry } from '@wail/telemetry';

export interface MetricSources {
  backlogSize(): number;
  intentRequests(): number;
  intentRecords(): number;
}

export interface ProxyMetrics {
  mutations: Counter<'table' | 'op' | 'outcome'>;
  latency: Histogram<'kind'>;
  dropped: Counter<'table'>;
  /** Registers the gauges read from live components, once they exist. */
  observe(sources: MetricSources): void;
}

export function proxyMetrics(registry: Registry): ProxyMetrics {
  return {
    observe(sources) {
      new Gauge({
        name: 'wail_proxy_backlog_intents',
        help: 'intents of independent tables waiting for Kafka',
        registers: [registry],
        collect() {
          this.set(sources.backlogSize());
        },
      });
      new Gauge({
        name: 'wail_proxy_intent_records_per_request',
        help: 'average intents per Kafka request since start (group commit)',
        registers: [registry],
        collect() {
          const requests = sources.intentRequests();
          this.set(requests === 0 ? 0 : sources.intentRecords() / requests);
        },
      });
    },
    mutations: new Counter({
      name: 'wail_proxy_mutations_total',
      help: 'mutations by table (_unknown for a table without a route), operation and outcome (ok, ok_unlogged or an error code)',
      labelNames: ['table', 'op', 'outcome'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'wail_proxy_mutation_seconds',
      help: 'time to answer a mutation request',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'wail_proxy_intents_dropped_total',
      help: 'intents of independent tables dropped: the backlog was full, or Kafka refused them as too large',
      labelNames: ['table'],
      registers: [registry],
    }),
  };
}
