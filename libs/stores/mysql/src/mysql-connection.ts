import type { QueryOptions } from 'mysql2';
import { createPool, type Pool } from 'mysql2/promise';
import { parseMysqlUrl } from '@wail/config';
import type { StoreConnection } from '@wail/store';

export interface MysqlOptions {
  /** `mysql://user:password@host:port[/database]`, user and password percent-encoded. */
  url: string;
  /** Takes precedence over the URL's user. */
  user?: string;
  /** Takes precedence over the URL's password; not encoded. */
  password?: string;
  database?: string;
  connectionLimit?: number;
  connectTimeoutMs?: number;
}

export class MysqlConnection implements StoreConnection {
  readonly kind = 'mysql' as const;
  readonly pool: Pool;

  constructor(options: MysqlOptions) {
    const address = parseMysqlUrl(options.url);
    const database = options.database ?? address.database;
    const password = options.password ?? address.password;
    this.pool = createPool({
      host: address.host,
      port: address.port,
      user: options.user ?? address.user ?? 'root',
      ...(password === undefined ? {} : { password }),
      ...(database === undefined ? {} : { database }),
      connectionLimit: options.connectionLimit ?? 10,
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
