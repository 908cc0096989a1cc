import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import { ConsumerTopicsEnv, Defaults, listenEnv, loadEnv, type Env } from '@wail/config';
import { WailError } from '@wail/errors';
import { DataPlaneEnv, dataPlaneSettings, type DataPlaneSettings } from '@wail/wiring';
import { TableSet } from './table-set';

const TABLES_DESCRIPTION =
  'the tables this consumer publishes: comma-separated names or globs (letters, digits, _ and *), "!" before one excludes it, e.g. "orders,cart_*" or "!orders"; intents of other tables on its intent topics are skipped';

export const ConsumerEnv = Type.Object({
  ...DataPlaneEnv,
  ...ConsumerTopicsEnv,
  ...listenEnv('WAIL_CONSUMER', Defaults.consumerPort),
  WAIL_CONSUMER_GROUP: Type.String({
    minLength: 1,
    default: 'wail-smart-consumer',
    description: 'Kafka consumer group of the intent topics',
  }),
  WAIL_CONSUMER_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._:-]{1,64}$',
      description: 'this instance (default host:pid)',
    }),
  ),
  WAIL_CONSUMER_KEY_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 64,
    description: 'keys processed at once',
  }),
  WAIL_CONSUMER_MAX_IN_FLIGHT: Type.Integer({
    minimum: 10,
    default: 20_000,
    description: 'unfinished intents per partition before it is paused',
  }),
  WAIL_CONSUMER_COALESCE_MS: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    default: 100,
    description:
      'a key is first read this long after its oldest pending intent: more intents per read, fewer reads before the write lands',
  }),
  WAIL_CONSUMER_GRACE_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description: 'how long an unknown table or missing model is retried before dead-lettering',
  }),
  WAIL_CONSUMER_COMMIT_INTERVAL_MS: Type.Integer({
    minimum: 10,
    default: 500,
    description:
      'how often safe offsets are committed (exactly-once: how often each partition commits a transaction)',
  }),
  WAIL_CONSUMER_MAX_EVENT_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 100_000_000,
    default: 1_000_000,
    description:
      'largest event record (key, value, headers), in bytes: a larger one is dead-lettered EVENT_TOO_LARGE; keep it below the event topics max.message.bytes',
  }),
  WAIL_CONSUMER_TABLES: Type.String({ default: '*', description: TABLES_DESCRIPTION }),
  WAIL_CONSUMER_DELIVERY: Type.Union(
    [Type.Literal('at-least-once'), Type.Literal('exactly-once')],
    {
      default: 'at-least-once',
      description:
        'at-least-once (idempotent producer; a crash may repeat an event) or exactly-once (Kafka transactions: outputs and offsets commit together)',
    },
  ),
});

export interface ConsumerConfig extends DataPlaneSettings {
  consumerId: string;
  http: { host: string; port: number };
  group: string;
  /** The tables this consumer publishes; it subscribes only to their intent topics. */
  tables: TableSet;
  pipeline: {
    keyConcurrency: number;
    maxInFlightPerPartition: number;
    graceMs: number;
    coalesceMs: number;
    commitIntervalMs: number;
    maxEventBytes: number;
    delivery: 'at-least-once' | 'exactly-once';
    unmaterializedTopic: string;
    deadLetterTopic: string;
  };
}

/**
 * The consumer's listener needs no token, even beyond loopback: it serves only
 * `/healthz`, `/readyz` and `/metrics` — no data, no writes, and metric labels
 * bounded by table names and error codes — and Prometheus and Kubernetes
 * probes scrape it unauthenticated by convention.
 */
export function loadConfig(env: Env): ConsumerConfig {
  const e = loadEnv(ConsumerEnv, env);
  return {
    ...dataPlaneSettings(e),
    consumerId: e.WAIL_CONSUMER_ID ?? `${hostname()}:${process.pid}`,
    http: { host: e.WAIL_CONSUMER_HOST, port: e.WAIL_CONSUMER_PORT },
    group: e.WAIL_CONSUMER_GROUP,
    tables: tableSet(e.WAIL_CONSUMER_TABLES),
    pipeline: {
      keyConcurrency: e.WAIL_CONSUMER_KEY_CONCURRENCY,
      maxInFlightPerPartition: e.WAIL_CONSUMER_MAX_IN_FLIGHT,
      graceMs: e.WAIL_CONSUMER_GRACE_MS,
      coalesceMs: e.WAIL_CONSUMER_COALESCE_MS,
      commitIntervalMs: e.WAIL_CONSUMER_COMMIT_INTERVAL_MS,
      maxEventBytes: e.WAIL_CONSUMER_MAX_EVENT_BYTES,
      delivery: e.WAIL_CONSUMER_DELIVERY,
      unmaterializedTopic: e.WAIL_UNMATERIALIZED_TOPIC,
      deadLetterTopic: e.WAIL_DLQ_TOPIC,
    },
  };
}

function tableSet(text: string): TableSet {
  try {
    return TableSet.parse(text);
  } catch (error) {
    const problem = `  WAIL_CONSUMER_TABLES (${JSON.stringify(text)}): ${(error as Error).message} — ${TABLES_DESCRIPTION}`;
    throw new WailError('CONFIG_INVALID', `invalid configuration:\n${problem}`, {
      details: { problems: [problem] },
    });
  }
}
