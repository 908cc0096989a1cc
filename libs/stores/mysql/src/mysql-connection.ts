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
  /**
   * Prepared statements kept per connection (least recently used closed
   * first). The server's `max_prepared_stmt_count` (16,382 by default) is
   * shared by every client: connections × this must stay well below it.
   */
  statementCacheSize?: number;
  /**
   * For a row store's sessions: REPEATABLE READ, UTC, and bounds on how long
   * the server itself may run or lock-wait a statement (`innodb_lock_wait_timeout`,
   * `lock_wait_timeout`, MariaDB's `max_statement_time`), so a statement the
   * client gave up on cannot land long after its timeout.
   */
  serverTimeoutMs?: number;
  /**
   * `affectedRows` counts rows changed, not rows found (no CLIENT_FOUND_ROWS):
   * an upsert that changed nothing says 0, which the row store relies on.
   */
  changedRowsOnly?: boolean;
  /** TLS, verifying the server's certificate and host name against `ca` (PEM) or else Node's trusted CAs. */
  tls?: { ca?: string | undefined } | undefined;
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
      ...(options.changedRowsOnly ? { flags: ['-FOUND_ROWS'] } : {}),
      ...(options.tls
        ? {
            // mysql2 checks the host name only with verifyIdentity.
            ssl: {
              rejectUnauthorized: true,
              verifyIdentity: true,
              ...(options.tls.ca ? { ca: options.tls.ca } : {}),
            },
          }
        : {}),
    });
    if (options.serverTimeoutMs !== undefined) {
      const seconds = Math.max(1, Math.ceil(options.serverTimeoutMs / 1000));
      const settings = [
        // The tombstone guard of upserts is a locking read only under
        // REPEATABLE READ: a server configured READ COMMITTED would let a late,
        // older upsert pass a delete that is still in flight.
        'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ',
        // TIMESTAMP columns and the tombstones' recorded_at in UTC, whatever
        // the server's zone (no DST gaps or repeats).
        "SET SESSION time_zone = '+00:00'",
        `SET SESSION innodb_lock_wait_timeout = ${seconds}`,
        `SET SESSION lock_wait_timeout = ${seconds}`,
        // MariaDB only; MySQL answers "unknown variable", which is fine.
        `SET SESSION max_statement_time = ${seconds}`,
      ];
      // Queued on a new connection before anything the pool hands it out for.
      this.pool.pool.on('connection', (connection) => {
        for (const sql of settings) connection.query(sql, () => undefined);
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
