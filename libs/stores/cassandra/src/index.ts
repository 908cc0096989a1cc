export { CassandraConnection } from './cassandra-connection';
export type { CassandraOptions } from './cassandra-connection';
export { translateCassandraError } from './cassandra-errors';
export { CassandraRowStore } from './cassandra-row-store';
export type { CassandraRowStoreOptions } from './cassandra-row-store';
