export { CassandraConnection } from './cassandra-connection';
export type { CassandraOptions } from './cassandra-connection';
