export { MysqlConnection } from './mysql-connection';
export type { MysqlOptions } from './mysql-connection';
export { translateMysqlError } from './mysql-errors';
export { MysqlRowStore } from './mysql-row-store';
export type { MysqlRowStoreOptions } from './mysql-row-store';
