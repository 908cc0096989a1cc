export { KafkaClustersEnv, kafkaClusters } from './kafka-clusters';
export { KafkaSecurityEnv, kafkaSecurity } from './kafka-security';
export type { KafkaSecuritySettings, KafkaSecurityValues } from './kafka-security';
export { loadEnv, splitList } from './load-config';
export type { Env } from './load-config';
export { PERCENT_ENCODE_HINT, parseMysqlUrl, readMysqlUrl } from './mysql-url';
export type { MysqlAddress, MysqlUrlReading } from './mysql-url';
export { SECRET_VARIABLES, isSecretVariable, secretValues } from './secrets';
export {
  CassandraEnv,
  ConsumerTopicsEnv,
  Defaults,
  KafkaEnv,
  LogEnv,
  MysqlEnv,
  PostgresEnv,
  RedisEnv,
  RepositoryUrlEnv,
  S3Env,
  StoresEnv,
  TracingEnv,
  listenEnv,
  mysqlSettings,
  s3Settings,
  storeSettings,
} from './common';
export type { StoreSettings } from './common';
export {
  AllowUnauthenticatedEnv,
  isLoopbackHost,
  requireTokensBeyondLoopback,
} from './listener-auth';
export type { ListenerExposure } from './listener-auth';
export { TlsEnv, tlsSettings } from './tls';
export type { TlsFiles } from './tls';
