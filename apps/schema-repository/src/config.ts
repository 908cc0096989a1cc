import { Type, type Static } from '@sinclair/typebox';
import {
  AllowUnauthenticatedEnv,
  CassandraEnv,
  ConsumerTopicsEnv,
  Defaults,
  KafkaClustersEnv,
  LogEnv,
  MysqlEnv,
  PostgresEnv,
  RedisEnv,
  StoresEnv,
  TlsEnv,
  kafkaClusters,
  listenEnv,
  loadEnv,
  mysqlSettings,
  requireTokensBeyondLoopback,
  splitList,
  storeSettings,
  tlsSettings,
  type Env,
  type TlsFiles,
} from '@wail/config';
import { WailError } from '@wail/errors';
import type { SchemaBounds } from './avro/schema-bounds';
import type { TopicPolicy } from './control-plane/topic-policy';

const TOPIC_PREFIXES = '^\\s*[A-Za-z0-9._-]{1,200}\\s*(,\\s*[A-Za-z0-9._-]{1,200}\\s*)*$';

export const RepositoryEnv = Type.Object({
  ...LogEnv,
  ...MysqlEnv,
  ...AllowUnauthenticatedEnv,
  ...ConsumerTopicsEnv,
  ...CassandraEnv,
  ...PostgresEnv,
  ...RedisEnv,
  ...StoresEnv,
  ...KafkaClustersEnv,
  ...listenEnv('WAIL_REPOSITORY', Defaults.repositoryPort),
  ...TlsEnv,
  WAIL_REPOSITORY_DATABASE: Type.String({
    pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
    default: 'wail_registry',
    description: 'MySQL database that holds schemas, models and routes (created if missing)',
  }),
  WAIL_REPOSITORY_WRITE_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'bearer token required for every write (it also reads)',
    }),
  ),
  WAIL_REPOSITORY_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'former name of WAIL_REPOSITORY_WRITE_TOKEN' }),
  ),
  WAIL_REPOSITORY_READ_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'bearer token required for reads of routes, models, subjects, config and mode (schemas by id stay public)',
    }),
  ),
  WAIL_REPOSITORY_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    default: 1_048_576,
    description: 'largest accepted request body, in bytes',
  }),
  WAIL_INTENT_TOPIC_PREFIXES: Type.String({
    pattern: TOPIC_PREFIXES,
    default: 'wail',
    description: "comma-separated: every route's intentTopic must start with one of these",
  }),
  WAIL_EVENT_TOPIC_PREFIXES: Type.String({
    pattern: TOPIC_PREFIXES,
    default: 'wail',
    description: "comma-separated: every data model's eventTopic must start with one of these",
  }),
  WAIL_REPOSITORY_SCHEMA_MAX_LENGTH: Type.Integer({
    minimum: 1,
    default: 1_000_000,
    description: 'longest schema text accepted, in characters',
  }),
  WAIL_REPOSITORY_SCHEMA_MAX_DEPTH: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 64,
    description: 'deepest nesting of types and of default or property values in a schema',
  }),
  WAIL_REPOSITORY_SCHEMA_MAX_NAMED_TYPES: Type.Integer({
    minimum: 1,
    default: 1000,
    description: 'most named types (records, enums, fixed) in a schema, references included',
  }),
  WAIL_REPOSITORY_SCHEMA_MAX_UNION_BRANCHES: Type.Integer({
    minimum: 1,
    default: 100,
    description: 'most branches of one union',
  }),
});

export interface RepositoryTokens {
  /** Needed for writes; also accepted for reads. */
  write: string | undefined;
  /** Needed for reads (other than schemas by id) when set. */
  read: string | undefined;
}

export interface RepositoryConfig {
  logLevel: Static<typeof RepositoryEnv>['WAIL_LOG_LEVEL'];
  http: { host: string; port: number; bodyLimit: number; tls: TlsFiles | undefined };
  mysql: { url: string; user?: string; password?: string; database: string };
  tokens: RepositoryTokens;
  topics: TopicPolicy;
  /** The stores routes are checked against when they are applied. */
  stores: ReturnType<typeof storeSettings>;
  /** Bounds on schemas sent to the repository; the others keep their defaults. */
  schemaBounds: Pick<SchemaBounds, 'maxLength' | 'maxDepth' | 'maxNamedTypes' | 'maxUnionBranches'>;
}

export function loadConfig(env: Env): RepositoryConfig {
  const e = loadEnv(RepositoryEnv, env);
  const tokens = repositoryTokens(e);
  requireTokensBeyondLoopback({
    hostVariable: 'WAIL_REPOSITORY_HOST',
    host: e.WAIL_REPOSITORY_HOST,
    allowUnauthenticated: e.WAIL_ALLOW_UNAUTHENTICATED,
    missingTokens: [
      ...(tokens.write === undefined ? ['WAIL_REPOSITORY_WRITE_TOKEN'] : []),
      ...(tokens.read === undefined ? ['WAIL_REPOSITORY_READ_TOKEN'] : []),
    ],
    exposes: 'read and change routes, models, schemas, config and mode',
  });
  return {
    logLevel: e.WAIL_LOG_LEVEL,
    http: {
      host: e.WAIL_REPOSITORY_HOST,
      port: e.WAIL_REPOSITORY_PORT,
      bodyLimit: e.WAIL_REPOSITORY_BODY_LIMIT,
      tls: tlsSettings(e),
    },
    mysql: { ...mysqlSettings(e), database: e.WAIL_REPOSITORY_DATABASE },
    tokens,
    topics: {
      intentPrefixes: splitList(e.WAIL_INTENT_TOPIC_PREFIXES),
      eventPrefixes: splitList(e.WAIL_EVENT_TOPIC_PREFIXES),
      unmaterializedTopic: e.WAIL_UNMATERIALIZED_TOPIC,
      deadLetterTopic: e.WAIL_DLQ_TOPIC,
      // Only the names: the repository checks routes name a cluster the data plane knows.
      clusters: [...kafkaClusters([Defaults.kafkaBrokers], e.WAIL_KAFKA_CLUSTERS).keys()],
    },
    stores: storeSettings(e),
    schemaBounds: {
      maxLength: e.WAIL_REPOSITORY_SCHEMA_MAX_LENGTH,
      maxDepth: e.WAIL_REPOSITORY_SCHEMA_MAX_DEPTH,
      maxNamedTypes: e.WAIL_REPOSITORY_SCHEMA_MAX_NAMED_TYPES,
      maxUnionBranches: e.WAIL_REPOSITORY_SCHEMA_MAX_UNION_BRANCHES,
    },
  };
}

/**
 * `WAIL_REPOSITORY_TOKEN` is the write token's former name and keeps working;
 * a read token alone would leave writes open, and a read token equal to the
 * write token would let every reader write: both are refused.
 */
function repositoryTokens(e: Static<typeof RepositoryEnv>): RepositoryTokens {
  const problems: string[] = [];
  const legacy = e.WAIL_REPOSITORY_TOKEN;
  const write = e.WAIL_REPOSITORY_WRITE_TOKEN ?? legacy;
  const read = e.WAIL_REPOSITORY_READ_TOKEN;
  if (legacy !== undefined && e.WAIL_REPOSITORY_WRITE_TOKEN !== undefined && legacy !== write)
    problems.push(
      '  WAIL_REPOSITORY_TOKEN and WAIL_REPOSITORY_WRITE_TOKEN differ: WAIL_REPOSITORY_TOKEN is the former name of the write token; set only one',
    );
  if (read !== undefined && write === undefined)
    problems.push(
      '  WAIL_REPOSITORY_READ_TOKEN is set without WAIL_REPOSITORY_WRITE_TOKEN: reads would need a token while writes need none',
    );
  if (read !== undefined && read === write)
    problems.push(
      '  WAIL_REPOSITORY_READ_TOKEN equals the write token: every reader could write; use two different tokens',
    );
  if (problems.length > 0)
    throw new WailError('CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, {
      details: { problems },
    });
  return { write, read };
}
