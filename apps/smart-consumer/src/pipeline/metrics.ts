import { ERROR_CATALOGUE, ERROR_CODES } from '@wail/errors';
import { Counter, Gauge, Histogram, type Registry } from '@wail/telemetry';
import type { PartitionLag } from './lag';
import { UNMATERIALIZED_REASONS } from './output-records';

/**
 * The consumer's metrics. Counters an alert takes the rate of start at 0 for
 * every label value known ahead (every code a dead letter can carry, every
 * reason of each routed table): a series that first appears at 1 has no
 * rate, so the first dead letter after a start would never alert.
 */
export function consumerMetrics(registry: Registry) {
  const deadLetters = new Counter({
    name: 'wail_consumer_dead_letters_total',
    help: 'intents sent to the dead-letter topic, by code (every non-retriable code is exported from 0)',
    labelNames: ['code'],
    registers: [registry],
  });
  for (const code of ERROR_CODES)
    if (!ERROR_CATALOGUE[code].retriable) deadLetters.inc({ code }, 0);
  const unmaterialized = new Counter({
    name: 'wail_consumer_unmaterialized_total',
    help: 'intents recorded as never materialized, by what the last strong read saw (reason: row-missing, older-version or older-delete; exported from 0 for every routed table)',
    labelNames: ['table', 'reason'],
    registers: [registry],
  });
  return {
    /** Exports the per-table counters an alert takes the rate of from 0 for these tables (routed ones: bounded). */
    knowTables(tables: Iterable<string>): void {
      for (const table of tables)
        for (const reason of UNMATERIALIZED_REASONS) unmaterialized.inc({ table, reason }, 0);
    },
    /** Registers the in-flight gauge once the processor exists. */
    observeInFlight(inFlight: () => number): void {
      new Gauge({
        name: 'wail_consumer_intents_in_flight',
        help: 'intents read from Kafka and not finished yet',
        registers: [registry],
        collect() {
          this.set(inFlight());
        },
      });
    },
    /** Registers the held gauge once the processor exists. */
    observeHeld(held: () => number): void {
      new Gauge({
        name: 'wail_consumer_intents_held',
        help: 'intents of moving tables held until their old intent location has drained (or until this consumer has the route that placed them)',
        registers: [registry],
        collect() {
          this.set(held());
        },
      });
    },
    /** Registers the first-read delay gauge once the processor exists. */
    observeFirstReadDelay(delayMs: () => number): void {
      new Gauge({
        name: 'wail_consumer_first_read_delay_seconds',
        help: "how long after its intent an idle key's first read waits now: adapts to how long the proxy's writes take to land (0 to 0.02 s, never above WAIL_CONSUMER_COALESCE_MS)",
        registers: [registry],
        collect() {
          this.set(delayMs() / 1000);
        },
      });
    },
    /** Registers the outbox gauge once the processor exists. */
    observeOutbox(outputs: () => number): void {
      new Gauge({
        name: 'wail_consumer_outbox_outputs',
        help: "outputs (events, unmaterialized records, dead letters) waiting in exactly-once outboxes for their partition's next transaction (always 0 at-least-once)",
        registers: [registry],
        collect() {
          this.set(outputs());
        },
      });
    },
    /** Registers the lag gauges, read at scrape time (lag.ts), once the consumer exists. */
    observeLag(lag: () => Promise<readonly PartitionLag[]>): void {
      new Gauge({
        name: 'wail_consumer_lag_seconds',
        help: 'how far behind an intent partition this member owns is in time: 0 without lag, else the age of the oldest intent not finished (the age of the newest finished while none of the lag is fetched yet); left out before this member has seen a record of it, or while Kafka does not answer within 2 s',
        labelNames: ['topic', 'partition'],
        registers: [registry],
        async collect() {
          const lags = await lag();
          this.reset();
          for (const { topic, partition, seconds } of lags)
            if (seconds !== undefined) this.set({ topic, partition: String(partition) }, seconds);
        },
      });
      new Gauge({
        name: 'wail_consumer_lag_records',
        help: 'records of an intent partition this member owns that it has not finished: the high watermark minus the offset it has processed up to (left out while Kafka does not answer within 2 s)',
        labelNames: ['topic', 'partition'],
        registers: [registry],
        async collect() {
          const lags = await lag();
          // Only the partitions owned now: a revoked one's series goes.
          this.reset();
          for (const { topic, partition, records } of lags)
            this.set({ topic, partition: String(partition) }, Number(records));
        },
      });
    },
    forwarded: new Counter({
      name: 'wail_consumer_intents_forwarded_total',
      help: "intents read where their table no longer logs and appended to its route's intent topic and cluster",
      labelNames: ['table'],
      registers: [registry],
    }),
    intents: new Counter({
      name: 'wail_consumer_intents_total',
      help: 'intents consumed',
      labelNames: ['table'],
      registers: [registry],
    }),
    skipped: new Counter({
      name: 'wail_consumer_intents_skipped_total',
      help: 'intents committed past without being processed (table-set: the table is outside WAIL_CONSUMER_TABLES)',
      labelNames: ['reason', 'table'],
      registers: [registry],
    }),
    reads: new Counter({
      name: 'wail_consumer_reads_total',
      help: 'database reads',
      labelNames: ['table', 'consistency'],
      registers: [registry],
    }),
    events: new Counter({
      name: 'wail_consumer_events_total',
      help: 'events published',
      labelNames: ['table', 'op'],
      registers: [registry],
    }),
    claimChecks: new Counter({
      name: 'wail_consumer_claim_checks_total',
      help: 'events whose row went to the object store, the event carrying a claim check',
      labelNames: ['table'],
      registers: [registry],
    }),
    unmaterialized,
    deadLetters,
    visible: new Histogram({
      name: 'wail_consumer_intent_to_visible_seconds',
      help: "from the intent timestamp to the consumer's first read that found the write in the store (its wait for a round included)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    lag: new Histogram({
      name: 'wail_consumer_intent_to_event_seconds',
      help: 'from the intent timestamp to the event acknowledgement',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;
