import { Type, type Static } from '@sinclair/typebox';
import {
  CassandraEnv,
  Defaults,
  LogEnv,
  MysqlEnv,
  StoresEnv,
  listenEnv,
  loadEnv,
  mysqlSettings,
  storeSettings,
  type Env,
} from '@wail/config';

export const RepositoryEnv = Type.Object({
  ...LogEnv,
  ...MysqlEnv,
  ...CassandraEnv,
  ...StoresEnv,
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
});

export interface RepositoryConfig {
  logLevel: Static<typeof RepositoryEnv>['WAIL_LOG_LEVEL'];
  http: { host: string; port: number; bodyLimit: number };
  mysql: { url: string; user?: string; password?: string; database: string };
  token: string | undefined;
  /** The stores routes are checked against when they are applied. */
  stores: ReturnType<typeof storeSettings>;
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
    mysql: { ...mysqlSettings(e), database: e.WAIL_REPOSITORY_DATABASE },
    token: e.WAIL_REPOSITORY_TOKEN,
    stores: storeSettings(e),
  };
}
