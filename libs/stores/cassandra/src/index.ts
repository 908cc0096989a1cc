export { CassandraConnection } from './cassandra-connection';
export type { CassandraOptions } from './cassandra-connection';
export { CassandraRowStore, translateCassandraError } from './cassandra-row-store';
export type { CassandraRowStoreOptions } from './cassandra-row-store';
