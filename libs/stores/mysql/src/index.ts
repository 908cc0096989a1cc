export { MysqlConnection } from './mysql-connection';
export type { MysqlOptions } from './mysql-connection';
