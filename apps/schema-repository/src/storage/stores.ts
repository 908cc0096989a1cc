import type { Pool, PoolConnection } from 'mysql2/promise';
import { inTransaction } from './transactions';

/** Where a store's statements run: the pool (each on its own) or one transaction's connection. */
export type Queryable = Pool | PoolConnection;

/**
 * A service's stores, bound either to the pool (`autocommit`) or, for work
 * that must see and change several rows atomically, to one transaction
 * (`transaction`: READ COMMITTED, retried from the start on a deadlock, so
 * `work` may run more than once).
 */
export class Stores<T> {
  readonly autocommit: T;

  constructor(
    private readonly pool: Pool,
    private readonly bind: (db: Queryable) => T,
  ) {
    this.autocommit = bind(pool);
  }

  transaction<R>(work: (stores: T) => Promise<R>): Promise<R> {
    return inTransaction(this.pool, (connection) => work(this.bind(connection)));
  }
}
