import { Counter, Gauge, Histogram, type Registry } from '@wail/telemetry';

export interface MetricSources {
  backlogSize(): number;
  /** Kafka produce requests that carried intents, since start (every cluster's group-commit log). */
  intentRequests(): number;
  /** Intent records those requests carried, since start. */
  intentRecords(): number;
}

export interface ProxyMetrics {
  mutations: Counter<'table' | 'op' | 'outcome'>;
  latency: Histogram<'kind'>;
  dropped: Counter<'table'>;
  /** From handing an intent to the intent log until Kafka acknowledged it (acknowledged appends only). */
  appendSeconds: Histogram;
  /** Registers the metrics read from live components, once they exist. */
  observe(sources: MetricSources): void;
}

/** Buckets of the proxy's latency histograms, in seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** A counter whose value is a running total kept elsewhere (it only grows), read at scrape time. */
function totalCounter(registry: Registry, name: string, help: string, total: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(total());
    },
  });
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
      // Group commit: intents per request over a window is
      // rate(wail_proxy_intent_records_total) / rate(wail_proxy_intent_requests_total).
      totalCounter(
        registry,
        'wail_proxy_intent_requests_total',
        'Kafka produce requests that carried intents (group commit)',
        sources.intentRequests,
      );
      totalCounter(
        registry,
        'wail_proxy_intent_records_total',
        'intent records sent in Kafka produce requests (a record sent again counts again)',
        sources.intentRecords,
      );
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
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    appendSeconds: new Histogram({
      name: 'wail_proxy_intent_append_seconds',
      help: 'from handing an intent to the intent log (group commit) until Kafka acknowledged it; acknowledged appends only',
      buckets: LATENCY_BUCKETS,
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
