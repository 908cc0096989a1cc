export { columnsFromModel } from './redis-columns';
export type { RedisColumnInfo } from './redis-columns';
export { translateRedisError } from './redis-errors';
export { RedisRowStore } from './redis-row-store';
export type { RedisRowStoreOptions } from './redis-row-store';
