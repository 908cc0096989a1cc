export { PostgresConnection } from './postgres-connection';
export type { PostgresOptions } from './postgres-connection';
export { translatePostgresError } from './postgres-errors';
export type { PostgresErrorContext } from './postgres-errors';
export { PostgresRowStore } from './postgres-row-store';
export type { PostgresRowStoreOptions } from './postgres-row-store';
