import { Type } from '@sinclair/typebox';
import {
  DEFAULT_DEAD_LETTER_TOPIC,
  DEFAULT_UNMATERIALIZED_TOPIC,
  STORE_KINDS,
  type RouteStore,
} from '@wail/contracts';
import { readCaFile, refuseProblems } from './ca-file';

const STORES = STORE_KINDS.join('|');

const hostPortList = `^\\s*[^\\s,:]+:[0-9]{1,5}\\s*(,\\s*[^\\s,:]+:[0-9]{1,5}\\s*)*$`;

export const Defaults = {
  host: '127.0.0.1',
  kafkaBrokers: '127.0.0.1:9092',
  cassandraContactPoints: '127.0.0.1:9042',
  cassandraDatacenter: 'datacenter1',
  mysqlUrl: 'mysql://root@127.0.0.1:3306',
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: 'redis://127.0.0.1:6379',
  repositoryUrl: 'http://127.0.0.1:8081',
  proxyPort: 8080,
  repositoryPort: 8081,
  consumerPort: 8082,
  unmaterializedTopic: DEFAULT_UNMATERIALIZED_TOPIC,
  deadLetterTopic: DEFAULT_DEAD_LETTER_TOPIC,
  s3Endpoint: 'http://127.0.0.1:9300',
  s3Region: 'us-east-1',
  s3Bucket: 'wail-claims',
  // The local stack's s3proxy identity: loopback only, like MariaDB's passwordless root.
  s3AccessKeyId: 'wail-local',
  s3SecretAccessKey: 'wail-local-secret',
} as const;

export const LogEnv = {
  WAIL_LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info', description: 'pino log level' },
  ),
};

export const KafkaEnv = {
  WAIL_KAFKA_BROKERS: Type.String({
    pattern: hostPortList,
    default: Defaults.kafkaBrokers,
    description: 'comma-separated host:port list of Kafka bootstrap brokers',
  }),
};

export const CassandraEnv = {
  WAIL_CASSANDRA_CONTACT_POINTS: Type.String({
    pattern: hostPortList,
    default: Defaults.cassandraContactPoints,
    description: 'comma-separated host:port list of Cassandra contact points',
  }),
  WAIL_CASSANDRA_DATACENTER: Type.String({
    minLength: 1,
    default: Defaults.cassandraDatacenter,
    description: 'local data centre name for the load-balancing policy',
  }),
  WAIL_CASSANDRA_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  WAIL_CASSANDRA_PASSWORD: Type.Optional(Type.String()),
  WAIL_CASSANDRA_TLS: Type.Boolean({
    default: false,
    description:
      "connect to Cassandra over TLS (client encryption), verifying the nodes' certificates and host names",
  }),
  WAIL_CASSANDRA_TLS_CA_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "PEM file of the CA that signed the Cassandra nodes' certificates; implies WAIL_CASSANDRA_TLS",
    }),
  ),
};

export const MysqlEnv = {
  WAIL_MYSQL_URL: Type.String({
    format: 'mysql-url',
    default: Defaults.mysqlUrl,
    description: 'URL of the primary (mysql://…; user and password percent-encoded)',
  }),
  WAIL_MYSQL_USER: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 80,
      description: 'MySQL user; takes precedence over the user in the URLs',
    }),
  ),
  WAIL_MYSQL_PASSWORD: Type.Optional(
    Type.String({
      description: 'MySQL password, not encoded; takes precedence over the password in the URLs',
    }),
  ),
  WAIL_MYSQL_TLS: Type.Boolean({
    default: false,
    description:
      "connect to MySQL/MariaDB (primary and replica) over TLS, verifying the server's certificate and host name",
  }),
  WAIL_MYSQL_TLS_CA_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "PEM file of the CA that signed the MySQL server's certificate; implies WAIL_MYSQL_TLS",
    }),
  ),
};

export const PostgresEnv = {
  WAIL_POSTGRES_URL: Type.String({
    format: 'postgres-url',
    default: Defaults.postgresUrl,
    description:
      'URL of the PostgreSQL primary (postgres://user:password@host:port/database; the database is where to connect first, each route names its own)',
  }),
  WAIL_POSTGRES_REPLICA_URL: Type.Optional(
    Type.String({ format: 'postgres-url', description: 'PostgreSQL read replica for fast reads' }),
  ),
  WAIL_POSTGRES_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 16,
    description: 'PostgreSQL connections per service and database',
  }),
};

export const RedisEnv = {
  WAIL_REDIS_URL: Type.String({
    format: 'redis-url',
    default: Defaults.redisUrl,
    description:
      'URL of Redis or Valkey (redis://[user:password@]host:port[/db], rediss:// for TLS)',
  }),
};

/** `<PREFIX>_HOST` and `<PREFIX>_PORT` for a service's HTTP listener. */
export function listenEnv<P extends string>(prefix: P, port: number) {
  return {
    [`${prefix}_HOST`]: Type.String({
      minLength: 1,
      default: Defaults.host,
      description: 'listen address',
    }),
    [`${prefix}_PORT`]: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: port,
      description: 'listen port',
    }),
  } as Record<`${P}_HOST`, ReturnType<typeof Type.String>> &
    Record<`${P}_PORT`, ReturnType<typeof Type.Integer>>;
}

export const StoresEnv = {
  WAIL_STORES: Type.String({
    pattern: `^\\s*(${STORES})\\s*(,\\s*(${STORES})\\s*)*$`,
    default: STORE_KINDS.join(','),
    description: `stores this service connects to (any of ${STORE_KINDS.join(', ')})`,
  }),
  WAIL_DB_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 3000,
    description: 'per-statement timeout',
  }),
  WAIL_MYSQL_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 64,
    description: 'MySQL connections per service',
  }),
  WAIL_MYSQL_REPLICA_URL: Type.Optional(
    Type.String({ format: 'mysql-url', description: 'read replica for fast reads' }),
  ),
  WAIL_MYSQL_STATEMENT_CACHE: Type.Integer({
    minimum: 1,
    maximum: 16_000,
    default: 64,
    description:
      'prepared statements kept per MySQL connection (pool size × this must stay below the server-wide max_prepared_stmt_count)',
  }),
  WAIL_TOMBSTONE_RETENTION_MS: Type.Integer({
    // Twice the longest visibility window a route may have.
    minimum: 7_200_000,
    default: 86_400_000,
    description: 'how long the tombstone of a deleted row is kept',
  }),
  WAIL_TOMBSTONE_GUARD_MS: Type.Integer({
    minimum: 10_000,
    default: 300_000,
    description:
      'how long a delete of a key without a row keeps its tombstone (raised to 4 × WAIL_DB_TIMEOUT_MS + 10 s if lower)',
  }),
};

/**
 * The object store of claim checks (docs/claim-checks.md). Without
 * WAIL_S3_ENDPOINT a service has none: the consumer then dead-letters an
 * oversized event EVENT_TOO_LARGE, and readers refuse claim-checked events.
 */
export const S3Env = {
  WAIL_S3_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: `S3-compatible endpoint of claim checks (the local stack's s3proxy: ${Defaults.s3Endpoint}); unset: no claim checks`,
    }),
  ),
  WAIL_S3_REGION: Type.String({
    minLength: 1,
    default: Defaults.s3Region,
    description: 'region of the claim-check bucket',
  }),
  WAIL_S3_BUCKET: Type.String({
    pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    default: Defaults.s3Bucket,
    description: 'bucket of claim-checked objects (created when missing)',
  }),
  WAIL_S3_ACCESS_KEY_ID: Type.String({
    minLength: 1,
    default: Defaults.s3AccessKeyId,
    description: "access key id (default: the local stack's fixed one)",
  }),
  WAIL_S3_SECRET_ACCESS_KEY: Type.String({
    minLength: 1,
    default: Defaults.s3SecretAccessKey,
    description: "secret access key (default: the local stack's fixed one)",
  }),
  WAIL_S3_MAX_OBJECT_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1_073_741_824,
    default: 67_108_864,
    description: 'largest claim-checked object a reader fetches',
  }),
  WAIL_S3_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    default: 30_000,
    description: 'per object-store request',
  }),
};

/** The claim store settings of a config with S3Env, or undefined when WAIL_S3_ENDPOINT is unset. */
export function s3Settings(config: {
  WAIL_S3_ENDPOINT?: string | undefined;
  WAIL_S3_REGION: string;
  WAIL_S3_BUCKET: string;
  WAIL_S3_ACCESS_KEY_ID: string;
  WAIL_S3_SECRET_ACCESS_KEY: string;
  WAIL_S3_MAX_OBJECT_BYTES: number;
  WAIL_S3_TIMEOUT_MS: number;
}):
  | {
      endpoint: string;
      region: string;
      bucket: string;
      accessKeyId: string;
      secretAccessKey: string;
      maxObjectBytes: number;
      requestTimeoutMs: number;
    }
  | undefined {
  if (!config.WAIL_S3_ENDPOINT) return undefined;
  return {
    endpoint: config.WAIL_S3_ENDPOINT,
    region: config.WAIL_S3_REGION,
    bucket: config.WAIL_S3_BUCKET,
    accessKeyId: config.WAIL_S3_ACCESS_KEY_ID,
    secretAccessKey: config.WAIL_S3_SECRET_ACCESS_KEY,
    maxObjectBytes: config.WAIL_S3_MAX_OBJECT_BYTES,
    requestTimeoutMs: config.WAIL_S3_TIMEOUT_MS,
  };
}

export const RepositoryUrlEnv = {
  WAIL_REPOSITORY_URL: Type.String({
    pattern: '^https?://',
    default: Defaults.repositoryUrl,
    description: 'base URL of the schema repository',
  }),
  WAIL_REPOSITORY_READ_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: "the repository's read token, sent with every route and model read",
    }),
  ),
  WAIL_REPOSITORY_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'former name: sent when WAIL_REPOSITORY_READ_TOKEN is unset',
    }),
  ),
  WAIL_ROUTES_REFRESH_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 1000,
    description: 'route polling interval',
  }),
};

/**
 * The smart consumer's own output topics. The schema repository reads the same
 * variables (same defaults) so that no route or model can point at them.
 */
export const ConsumerTopicsEnv = {
  WAIL_UNMATERIALIZED_TOPIC: Type.String({
    pattern: '^[A-Za-z0-9._-]{1,249}$',
    default: Defaults.unmaterializedTopic,
    description: 'where unmaterialized intents are recorded',
  }),
  WAIL_DLQ_TOPIC: Type.String({
    pattern: '^[A-Za-z0-9._-]{1,249}$',
    default: Defaults.deadLetterTopic,
    description: 'dead-letter topic',
  }),
};

export const TracingEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({ description: 'export traces over OTLP to this endpoint' }),
  ),
};

export interface StoreEnvValues {
  WAIL_STORES: string;
  WAIL_DB_TIMEOUT_MS: number;
  WAIL_MYSQL_POOL_SIZE: number;
  WAIL_MYSQL_URL: string;
  WAIL_MYSQL_USER?: string | undefined;
  WAIL_MYSQL_PASSWORD?: string | undefined;
  WAIL_MYSQL_TLS?: boolean | undefined;
  WAIL_MYSQL_TLS_CA_FILE?: string | undefined;
  WAIL_MYSQL_REPLICA_URL?: string | undefined;
  WAIL_MYSQL_STATEMENT_CACHE: number;
  WAIL_TOMBSTONE_RETENTION_MS: number;
  WAIL_TOMBSTONE_GUARD_MS: number;
  WAIL_CASSANDRA_CONTACT_POINTS: string;
  WAIL_CASSANDRA_DATACENTER: string;
  WAIL_CASSANDRA_TLS?: boolean | undefined;
  WAIL_CASSANDRA_TLS_CA_FILE?: string | undefined;
  WAIL_CASSANDRA_USERNAME?: string | undefined;
  WAIL_CASSANDRA_PASSWORD?: string | undefined;
  WAIL_POSTGRES_URL: string;
  WAIL_POSTGRES_REPLICA_URL?: string | undefined;
  WAIL_POSTGRES_POOL_SIZE: number;
  WAIL_REDIS_URL: string;
}

/**
 * Where MySQL is and as whom to log in: the URL, and the separate user and
 * password when given (they spare the operator percent-encoding, and let a
 * secret store hold the password alone).
 */
export function mysqlSettings(e: {
  WAIL_MYSQL_URL: string;
  WAIL_MYSQL_USER?: string | undefined;
  WAIL_MYSQL_PASSWORD?: string | undefined;
  WAIL_MYSQL_TLS?: boolean | undefined;
  WAIL_MYSQL_TLS_CA_FILE?: string | undefined;
}): { url: string; user?: string; password?: string; tls?: { ca: string | undefined } } {
  const problems: string[] = [];
  const ca = readCaFile('WAIL_MYSQL_TLS_CA_FILE', e.WAIL_MYSQL_TLS_CA_FILE, problems);
  refuseProblems(problems);
  return {
    url: e.WAIL_MYSQL_URL,
    ...(e.WAIL_MYSQL_USER === undefined ? {} : { user: e.WAIL_MYSQL_USER }),
    ...(e.WAIL_MYSQL_PASSWORD === undefined ? {} : { password: e.WAIL_MYSQL_PASSWORD }),
    ...(e.WAIL_MYSQL_TLS || ca !== undefined ? { tls: { ca } } : {}),
  };
}

function cassandraTls(e: StoreEnvValues): { tls?: { ca: string | undefined } } {
  const problems: string[] = [];
  const ca = readCaFile('WAIL_CASSANDRA_TLS_CA_FILE', e.WAIL_CASSANDRA_TLS_CA_FILE, problems);
  refuseProblems(problems);
  return e.WAIL_CASSANDRA_TLS || ca !== undefined ? { tls: { ca } } : {};
}

/** The store connection settings shared by the proxy and the consumer. */
export function storeSettings(e: StoreEnvValues) {
  const stores = [...new Set(e.WAIL_STORES.split(',').map((s) => s.trim()))] as RouteStore[];
  return {
    stores,
    timeoutMs: e.WAIL_DB_TIMEOUT_MS,
    cassandra: {
      contactPoints: e.WAIL_CASSANDRA_CONTACT_POINTS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      localDataCenter: e.WAIL_CASSANDRA_DATACENTER,
      readTimeoutMs: e.WAIL_DB_TIMEOUT_MS,
      tombstoneRetentionMs: e.WAIL_TOMBSTONE_RETENTION_MS,
      ...(e.WAIL_CASSANDRA_USERNAME === undefined ? {} : { username: e.WAIL_CASSANDRA_USERNAME }),
      ...(e.WAIL_CASSANDRA_PASSWORD === undefined ? {} : { password: e.WAIL_CASSANDRA_PASSWORD }),
      ...cassandraTls(e),
    },
    mysql: {
      ...mysqlSettings(e),
      queryTimeoutMs: e.WAIL_DB_TIMEOUT_MS,
      connectionLimit: e.WAIL_MYSQL_POOL_SIZE,
      statementCacheSize: e.WAIL_MYSQL_STATEMENT_CACHE,
      tombstoneRetentionMs: e.WAIL_TOMBSTONE_RETENTION_MS,
      // An older write still in flight when a key without a row is deleted
      // lands within its statement timeout and retries: the guard outlives it.
      tombstoneGuardMs: Math.max(e.WAIL_TOMBSTONE_GUARD_MS, 4 * e.WAIL_DB_TIMEOUT_MS + 10_000),
      ...(e.WAIL_MYSQL_REPLICA_URL === undefined ? {} : { replicaUrl: e.WAIL_MYSQL_REPLICA_URL }),
    },
    postgres: {
      url: e.WAIL_POSTGRES_URL,
      poolSize: e.WAIL_POSTGRES_POOL_SIZE,
      timeoutMs: e.WAIL_DB_TIMEOUT_MS,
      tombstoneRetentionMs: e.WAIL_TOMBSTONE_RETENTION_MS,
      ...(e.WAIL_POSTGRES_REPLICA_URL === undefined
        ? {}
        : { replicaUrl: e.WAIL_POSTGRES_REPLICA_URL }),
    },
    redis: {
      url: e.WAIL_REDIS_URL,
      timeoutMs: e.WAIL_DB_TIMEOUT_MS,
      tombstoneTtlMs: e.WAIL_TOMBSTONE_RETENTION_MS,
    },
  };
}

export type StoreSettings = ReturnType<typeof storeSettings>;
