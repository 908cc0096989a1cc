import type { QueryOptions } from 'mysql2';
import { createPool, type Pool } from 'mysql2/promise';
import type { StoreConnection } from '@wail/store';

export interface MysqlOptions {
  /** `mysql://user:password@host:port[/database]` */
  url: string;
  database?: string;
  connectionLimit?: number;
  connectTimeoutMs?: number;
  /**
   * Prepared statements kept per connection (least recently used closed
   * first). The server's `max_prepared_stmt_count` (16,382 by default) is
   * shared by every client: connections × this must stay well below it.
   */
  statementCacheSize?: number;
  /**
   * Bounds how long the server itself may run or lock-wait a statement of
   * these connections (`innodb_lock_wait_timeout`, and MariaDB's
   * `max_statement_time`), so a statement the client gave up on cannot land
   * long after its timeout.
   */
  serverTimeoutMs?: number;
}

export class MysqlConnection implements StoreConnection {
  readonly kind = 'mysql' as const;
  readonly pool: Pool;

  constructor(options: MysqlOptions) {
    const url = new URL(options.url);
    const database = options.database ?? (url.pathname.replace(/^\//, '') || undefined);
    this.pool = createPool({
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username || 'root'),
      password: decodeURIComponent(url.password),
      ...(database === undefined ? {} : { database }),
      connectionLimit: options.connectionLimit ?? 10,
      maxPreparedStatements: options.statementCacheSize ?? 64,
      connectTimeout: options.connectTimeoutMs ?? 3000,
      waitForConnections: true,
      // Unbounded waiting would turn a database outage into unbounded memory.
      queueLimit: 1000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      timezone: 'Z',
      enableKeepAlive: true,
    });
    if (options.serverTimeoutMs !== undefined) {
      const seconds = Math.max(1, Math.ceil(options.serverTimeoutMs / 1000));
      this.pool.pool.on('connection', (connection) => {
        connection.query(`SET SESSION innodb_lock_wait_timeout = ${seconds}`, () => undefined);
        // MariaDB only; MySQL answers "unknown variable", which is fine.
        connection.query(`SET SESSION max_statement_time = ${seconds}`, () => undefined);
      });
    }
  }

  /**
   * A prepared statement through the pool's callback API: the promise wrapper
   * captures a stack trace on every call, a measurable cost on the write path.
   */
  execute<T>(options: QueryOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pool.pool.execute(options, (error, result) =>
        error ? reject(error) : resolve(result as T),
      );
    });
  }

  /** A statement with client-side placeholders, through the callback API (see `execute`). */
  query<T>(options: QueryOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pool.pool.query(options, (error, result) =>
        error ? reject(error) : resolve(result as T),
      );
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
