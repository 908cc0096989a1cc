export { loadEnv, splitList } from './load-config';
export type { Env } from './load-config';
export {
  CassandraEnv,
  ConsumerTopicsEnv,
  Defaults,
  KafkaEnv,
  LogEnv,
  MysqlEnv,
  RepositoryUrlEnv,
  StoresEnv,
  TracingEnv,
  listenEnv,
  storeSettings,
} from './common';
export type { StoreSettings } from './common';
export {
  AllowUnauthenticatedEnv,
  isLoopbackHost,
  requireTokensBeyondLoopback,
} from './listener-auth';
export type { ListenerExposure } from './listener-auth';
