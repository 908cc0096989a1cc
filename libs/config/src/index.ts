export { loadEnv, splitList } from './load-config';
export type { Env } from './load-config';
export {
  CassandraEnv,
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
