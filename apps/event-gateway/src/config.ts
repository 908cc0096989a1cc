import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import { DEFAULT_CLUSTER } from '@wail/contracts';
import {
  AllowUnauthenticatedEnv,
  KafkaClustersEnv,
  KafkaEnv,
  KafkaSecurityEnv,
  LogEnv,
  RepositoryUrlEnv,
  S3Env,
  TlsEnv,
  TracingEnv,
  kafkaClusters,
  kafkaSecurity,
  listenEnv,
  loadEnv,
  requireTokensBeyondLoopback,
  s3Settings,
  splitList,
  tlsSettings,
  type Env,
  type KafkaSecuritySettings,
  type TlsFiles,
} from '@wail/config';
import { WailError } from '@wail/errors';
import type { WebhookSettings } from './delivery/webhook';
import { tracesExported } from '@wail/instrumentation';

export const GATEWAY_PORT = 8083;
export const GATEWAY_GRPC_PORT = 8084;

export const GatewayEnv = Type.Object({
  ...LogEnv,
  ...KafkaEnv,
  ...KafkaClustersEnv,
  ...KafkaSecurityEnv,
  ...RepositoryUrlEnv,
  ...TracingEnv,
  ...S3Env,
  ...AllowUnauthenticatedEnv,
  ...listenEnv('WAIL_GATEWAY', GATEWAY_PORT),
  ...listenEnv('WAIL_GATEWAY_GRPC', GATEWAY_GRPC_PORT),
  ...TlsEnv,
  WAIL_GATEWAY_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._:-]{1,64}$',
      description: 'this instance (default host:pid)',
    }),
  ),
  WAIL_GATEWAY_CLUSTER: Type.String({
    default: DEFAULT_CLUSTER,
    description:
      'the Kafka cluster (a name of WAIL_KAFKA_CLUSTERS) whose event topics the gateway reads and where it keeps its subscriptions',
  }),
  WAIL_GATEWAY_ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'bearer token for creating, listing, deleting and re-driving subscriptions (required beyond loopback)',
    }),
  ),
  WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC: Type.String({
    pattern: '^[A-Za-z0-9._-]{1,249}$',
    default: 'wail.gateway.subscriptions',
    description:
      'compacted topic holding the subscriptions (with their webhook secrets: restrict its ACLs)',
  }),
  WAIL_GATEWAY_GROUP_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9._-]{1,100}$',
    default: 'wail-gateway',
    description: "each subscription's cursor is the consumer group <prefix>.<subscription id>",
  }),
  WAIL_GATEWAY_MAX_SUBSCRIPTIONS: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 1000,
    description: 'subscriptions the gateway keeps',
  }),
  WAIL_GATEWAY_MAX_UNACKED: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 1000,
    description:
      'changes a stream delivers beyond its last acknowledged cursor before it waits for an ack',
  }),
  WAIL_GATEWAY_ACK_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 3_600_000,
    default: 30_000,
    description:
      'a stream with unacknowledged changes and no ack for this long is rewound to its last acknowledged cursor and redelivers',
  }),
  WAIL_GATEWAY_HEARTBEAT_MS: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    default: 15_000,
    description: 'an SSE comment line is sent this often on an idle stream',
  }),
  WAIL_GATEWAY_WEBHOOK_BATCH: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 100,
    description: 'changes per webhook call at most',
  }),
  WAIL_GATEWAY_WEBHOOK_LINGER_MS: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    default: 20,
    description: 'how long a webhook batch waits for more changes before it is sent',
  }),
  WAIL_GATEWAY_WEBHOOK_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 120_000,
    default: 10_000,
    description: 'a webhook call not answered in this time failed',
  }),
  WAIL_GATEWAY_WEBHOOK_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 8,
    description: 'attempts of one webhook batch before it is dead-lettered',
  }),
  WAIL_GATEWAY_WEBHOOK_BACKOFF_MS: Type.Integer({
    minimum: 1,
    maximum: 60_000,
    default: 500,
    description: 'first retry delay of a webhook batch; it doubles (with jitter) per attempt',
  }),
  WAIL_GATEWAY_WEBHOOK_MAX_BACKOFF_MS: Type.Integer({
    minimum: 1,
    maximum: 3_600_000,
    default: 60_000,
    description: 'longest retry delay of a webhook batch',
  }),
});

export interface GatewayConfig {
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  gatewayId: string;
  http: { host: string; port: number };
  grpc: { host: string; port: number };
  /** Both listeners' certificate and key (HTTPS and gRPC over TLS); undefined: plaintext. */
  tls: TlsFiles | undefined;
  /** The brokers of the cluster the gateway reads and keeps its subscriptions on. */
  brokers: string[];
  /** TLS and SASL of the cluster (WAIL_KAFKA_TLS*, WAIL_KAFKA_SASL_*). */
  kafkaSecurity: KafkaSecuritySettings | undefined;
  cluster: string;
  repository: { url: string; token: string | undefined; refreshMs: number };
  adminToken: string | undefined;
  exportTraces: boolean;
  subscriptionsTopic: string;
  groupPrefix: string;
  maxSubscriptions: number;
  stream: { maxUnacked: number; ackTimeoutMs: number; heartbeatMs: number };
  webhook: WebhookSettings;
  /** The object store claim-checked events are resolved from; undefined without WAIL_S3_ENDPOINT. */
  claims: ReturnType<typeof s3Settings>;
}

export function loadConfig(env: Env): GatewayConfig {
  const e = loadEnv(GatewayEnv, env);
  const clusters = kafkaClusters(splitList(e.WAIL_KAFKA_BROKERS), e.WAIL_KAFKA_CLUSTERS);
  const brokers = clusters.get(e.WAIL_GATEWAY_CLUSTER);
  if (!brokers) {
    const problem = `  WAIL_GATEWAY_CLUSTER: "${e.WAIL_GATEWAY_CLUSTER.slice(0, 40)}" is not a cluster of WAIL_KAFKA_CLUSTERS (${[...clusters.keys()].join(', ')})`;
    throw new WailError('CONFIG_INVALID', `invalid configuration:\n${problem}`, {
      details: { problems: [problem] },
    });
  }
  requireTokensBeyondLoopback({
    hostVariable: 'WAIL_GATEWAY_HOST',
    host: e.WAIL_GATEWAY_HOST,
    allowUnauthenticated: e.WAIL_ALLOW_UNAUTHENTICATED,
    missingTokens: e.WAIL_GATEWAY_ADMIN_TOKEN ? [] : ['WAIL_GATEWAY_ADMIN_TOKEN'],
    exposes: "create subscriptions to every table and read every table's changes",
  });
  return {
    logLevel: e.WAIL_LOG_LEVEL,
    gatewayId: e.WAIL_GATEWAY_ID ?? `${hostname()}:${process.pid}`,
    http: { host: e.WAIL_GATEWAY_HOST, port: e.WAIL_GATEWAY_PORT },
    grpc: { host: e.WAIL_GATEWAY_GRPC_HOST, port: e.WAIL_GATEWAY_GRPC_PORT },
    tls: tlsSettings(e),
    brokers,
    kafkaSecurity: kafkaSecurity(e),
    cluster: e.WAIL_GATEWAY_CLUSTER,
    repository: {
      url: e.WAIL_REPOSITORY_URL,
      token: e.WAIL_REPOSITORY_READ_TOKEN ?? e.WAIL_REPOSITORY_TOKEN,
      refreshMs: e.WAIL_ROUTES_REFRESH_MS,
    },
    adminToken: e.WAIL_GATEWAY_ADMIN_TOKEN,
    claims: s3Settings(e),
    exportTraces: tracesExported(e),
    subscriptionsTopic: e.WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC,
    groupPrefix: e.WAIL_GATEWAY_GROUP_PREFIX,
    maxSubscriptions: e.WAIL_GATEWAY_MAX_SUBSCRIPTIONS,
    stream: {
      maxUnacked: e.WAIL_GATEWAY_MAX_UNACKED,
      ackTimeoutMs: e.WAIL_GATEWAY_ACK_TIMEOUT_MS,
      heartbeatMs: e.WAIL_GATEWAY_HEARTBEAT_MS,
    },
    webhook: {
      batch: e.WAIL_GATEWAY_WEBHOOK_BATCH,
      lingerMs: e.WAIL_GATEWAY_WEBHOOK_LINGER_MS,
      timeoutMs: e.WAIL_GATEWAY_WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WAIL_GATEWAY_WEBHOOK_MAX_ATTEMPTS,
      backoffMs: e.WAIL_GATEWAY_WEBHOOK_BACKOFF_MS,
      maxBackoffMs: Math.max(
        e.WAIL_GATEWAY_WEBHOOK_MAX_BACKOFF_MS,
        e.WAIL_GATEWAY_WEBHOOK_BACKOFF_MS,
      ),
    },
  };
}
