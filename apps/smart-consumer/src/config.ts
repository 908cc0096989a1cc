import { hostname } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_CLUSTER } from '@wail/contracts';
import {
  ConsumerTopicsEnv,
  Defaults,
  S3Env,
  TlsEnv,
  listenEnv,
  loadEnv,
  s3Settings,
  tlsSettings,
  type Env,
  type TlsFiles,
} from '@wail/config';
import { WailError } from '@wail/errors';
import { DataPlaneEnv, dataPlaneSettings, type DataPlaneSettings } from '@wail/wiring';
import { TableSet } from './table-set';
import { defaultConsumerId, pidNamespace } from './pipeline/predecessors';

const TABLES_DESCRIPTION =
  'the tables this consumer publishes: comma-separated names or globs (letters, digits, _ and *), "!" before one excludes it, e.g. "orders,cart_*" or "!orders"; intents of other tables on its intent topics are skipped';

export const ConsumerEnv = Type.Object({
  ...DataPlaneEnv,
  ...ConsumerTopicsEnv,
  ...S3Env,
  ...listenEnv('WAIL_CONSUMER', Defaults.consumerPort),
  ...TlsEnv,
  WAIL_CONSUMER_GROUP: Type.String({
    minLength: 1,
    default: 'wail-smart-consumer',
    description: 'Kafka consumer group of the intent topics',
  }),
  WAIL_CONSUMER_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._:-]{1,64}$',
      description:
        'this instance, unique among live ones (default host:boot.pidns:pid — this boot of the machine, the pid namespace, the pid); one kept across restarts (the pod name) lets a restart after a crash resume at once',
    }),
  ),
  WAIL_CONSUMER_KEY_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 64,
    description: 'keys processed at once',
  }),
  WAIL_CONSUMER_SESSION_TIMEOUT_MS: Type.Integer({
    minimum: 6000,
    maximum: 300_000,
    default: 10_000,
    description:
      "how long the group waits for a member that stopped heartbeating (a crash) before its partitions move to a surviving member (heartbeats every tenth of it); a crashed run restarted on its host resumes at once; at least the broker's group.min.session.timeout.ms (6 s by default)",
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
      'a hot key (one read less than this long ago) waits until its oldest pending intent is this old, so its intents share one read; any other key is read once its write has had time to land (an adaptive 0–20 ms, never above this)',
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
  WAIL_CONSUMER_CLUSTER: Type.String({
    default: DEFAULT_CLUSTER,
    description:
      'the Kafka cluster (a name of WAIL_KAFKA_CLUSTERS) whose intent topics this consumer reads: the routes of its tables that log elsewhere are read by other consumers',
  }),
  WAIL_CONSUMER_EVENT_CLUSTER: Type.String({
    default: DEFAULT_CLUSTER,
    description:
      'the Kafka cluster this consumer publishes events, unmaterialized records and dead letters to (exactly-once: must be WAIL_CONSUMER_CLUSTER)',
  }),
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
  /** Whether consumerId is WAIL_CONSUMER_ID, unique among live instances (else host, pid namespace, pid). */
  consumerIdGiven: boolean;
  http: { host: string; port: number; tls: TlsFiles | undefined };
  group: string;
  /** The tables this consumer publishes; it subscribes only to their intent topics. */
  tables: TableSet;
  /** The cluster it reads intents from, and the one it publishes to (names of `kafka.clusters`). */
  clusters: { intents: string; events: string };
  /** The object store of claim checks; undefined without WAIL_S3_ENDPOINT. */
  claims: ReturnType<typeof s3Settings>;
  pipeline: {
    keyConcurrency: number;
    maxInFlightPerPartition: number;
    graceMs: number;
    coalesceMs: number;
    commitIntervalMs: number;
    sessionTimeoutMs: number;
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
  const settings = dataPlaneSettings(e);
  return {
    ...settings,
    consumerId: e.WAIL_CONSUMER_ID ?? defaultConsumerId(hostname(), pidNamespace(), process.pid),
    consumerIdGiven: e.WAIL_CONSUMER_ID !== undefined,
    http: { host: e.WAIL_CONSUMER_HOST, port: e.WAIL_CONSUMER_PORT, tls: tlsSettings(e) },
    group: e.WAIL_CONSUMER_GROUP,
    tables: tableSet(e.WAIL_CONSUMER_TABLES),
    clusters: consumerClusters(settings.kafka.clusters, e),
    claims: s3Settings(e),
    pipeline: {
      keyConcurrency: e.WAIL_CONSUMER_KEY_CONCURRENCY,
      maxInFlightPerPartition: e.WAIL_CONSUMER_MAX_IN_FLIGHT,
      graceMs: e.WAIL_CONSUMER_GRACE_MS,
      coalesceMs: e.WAIL_CONSUMER_COALESCE_MS,
      commitIntervalMs: e.WAIL_CONSUMER_COMMIT_INTERVAL_MS,
      sessionTimeoutMs: e.WAIL_CONSUMER_SESSION_TIMEOUT_MS,
      maxEventBytes: e.WAIL_CONSUMER_MAX_EVENT_BYTES,
      delivery: e.WAIL_CONSUMER_DELIVERY,
      unmaterializedTopic: e.WAIL_UNMATERIALIZED_TOPIC,
      deadLetterTopic: e.WAIL_DLQ_TOPIC,
    },
  };
}

function consumerClusters(
  known: ReadonlyMap<string, string[]>,
  e: Static<typeof ConsumerEnv>,
): ConsumerConfig['clusters'] {
  const problems: string[] = [];
  for (const variable of ['WAIL_CONSUMER_CLUSTER', 'WAIL_CONSUMER_EVENT_CLUSTER'] as const)
    if (!known.has(e[variable]))
      problems.push(
        `  ${variable}: "${e[variable].slice(0, 40)}" is not a cluster of WAIL_KAFKA_CLUSTERS (${[...known.keys()].join(', ')})`,
      );
  if (
    e.WAIL_CONSUMER_DELIVERY === 'exactly-once' &&
    e.WAIL_CONSUMER_EVENT_CLUSTER !== e.WAIL_CONSUMER_CLUSTER
  )
    problems.push(
      '  WAIL_CONSUMER_EVENT_CLUSTER: exactly-once delivery commits events with the offsets of the intents in one Kafka transaction, so it must be WAIL_CONSUMER_CLUSTER',
    );
  if (problems.length > 0)
    throw new WailError('CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, {
      details: { problems },
    });
  return { intents: e.WAIL_CONSUMER_CLUSTER, events: e.WAIL_CONSUMER_EVENT_CLUSTER };
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
