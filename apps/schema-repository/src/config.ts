import { Type, type Static } from '@sinclair/typebox';
import { Defaults, LogEnv, MysqlEnv, listenEnv, loadEnv, type Env } from '@wail/config';
import type { SchemaBounds } from './avro/schema-bounds';

export const RepositoryEnv = Type.Object({
  ...LogEnv,
  ...MysqlEnv,
  ...listenEnv('WAIL_REPOSITORY', Defaults.repositoryPort),
  WAIL_REPOSITORY_DATABASE: Type.String({
    pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$',
    default: 'wail_registry',
    description: 'MySQL database that holds schemas, models and routes (created if missing)',
  }),
  WAIL_REPOSITORY_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'bearer token required for control-plane writes' }),
  ),
  WAIL_REPOSITORY_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    default: 1_048_576,
    description: 'largest accepted request body, in bytes',
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

export interface RepositoryConfig {
  logLevel: Static<typeof RepositoryEnv>['WAIL_LOG_LEVEL'];
  http: { host: string; port: number; bodyLimit: number };
  mysql: { url: string; database: string };
  token: string | undefined;
  /** Bounds on schemas sent to the repository; the others keep their defaults. */
  schemaBounds: Pick<SchemaBounds, 'maxLength' | 'maxDepth' | 'maxNamedTypes' | 'maxUnionBranches'>;
}

export function loadConfig(env: Env): RepositoryConfig {
  const e = loadEnv(RepositoryEnv, env);
  return {
    logLevel: e.WAIL_LOG_LEVEL,
    http: {
      host: e.WAIL_REPOSITORY_HOST,
      port: e.WAIL_REPOSITORY_PORT,
      bodyLimit: e.WAIL_REPOSITORY_BODY_LIMIT,
    },
    mysql: { url: e.WAIL_MYSQL_URL, database: e.WAIL_REPOSITORY_DATABASE },
    token: e.WAIL_REPOSITORY_TOKEN,
    schemaBounds: {
      maxLength: e.WAIL_REPOSITORY_SCHEMA_MAX_LENGTH,
      maxDepth: e.WAIL_REPOSITORY_SCHEMA_MAX_DEPTH,
      maxNamedTypes: e.WAIL_REPOSITORY_SCHEMA_MAX_NAMED_TYPES,
      maxUnionBranches: e.WAIL_REPOSITORY_SCHEMA_MAX_UNION_BRANCHES,
    },
  };
}
