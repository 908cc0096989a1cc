import pg from 'pg';
import { WailError } from '@wail/errors';
import type { StoreConnection } from '@wail/store';

export interface PostgresOptions {
  /**
   * `postgres://user:password@host:port/database`, user and password
   * percent-encoded. The database is only where `ping` connects: each
   * database a table lives in gets its own pool.
   */
  url: string;
  /** Takes precedence over the URL's user. */
  user?: string;
  /** Takes precedence over the URL's password; not encoded. */
  password?: string;
  /** Connections per database (default 10). */
  poolSize?: number;
  /**
   * Bounds how long a connection attempt, a wait for a pooled connection, a
   * statement and a lock wait may take (default 3000 ms), so a hung server
   * answers 503 instead of holding requests.
   */
  timeoutMs?: number;
  /** Pools kept at once (default 16); beyond that the least recently used idle one is closed. */
  maxDatabases?: number;
}

interface Address {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  ssl: boolean;
}

const HOST_PORT = /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?<port>[0-9]{1,5}))?$/;

/**
 * Reads `postgres[ql]://[user[:password]@]host[:port][/database][?sslmode=…]`.
 * The user information runs to the last `@`. A problem never quotes the URL:
 * it may hold the password.
 */
export function parsePostgresUrl(url: string): Address {
  const fail = (problem: string) =>
    new WailError('CONFIG_INVALID', `the PostgreSQL URL is not valid: ${problem}`);
  const scheme = /^postgres(?:ql)?:\/\//.exec(url);
  if (!scheme) throw fail('must start with postgres://');
  let rest = url.slice(scheme[0].length);
  let ssl = false;
  const question = rest.indexOf('?', rest.lastIndexOf('@') + 1);
  if (question >= 0) {
    const params = new URLSearchParams(rest.slice(question + 1));
    for (const [name, value] of params) {
      if (name !== 'sslmode') throw fail(`the parameter ${name.slice(0, 30)} is not supported`);
      if (!['disable', 'require', 'verify-full'].includes(value))
        throw fail('sslmode must be disable, require or verify-full');
      ssl = value !== 'disable';
    }
    rest = rest.slice(0, question);
  }
  const at = rest.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const location = at < 0 ? rest : rest.slice(at + 1);
  const slash = location.indexOf('/');
  const hostPort = slash < 0 ? location : location.slice(0, slash);
  const match = HOST_PORT.exec(hostPort);
  if (!match?.groups) throw fail('expected postgres://user:password@host:port/database');
  const port = match.groups['port'] === undefined ? 5432 : Number(match.groups['port']);
  if (port < 1 || port > 65535) throw fail('the port must be between 1 and 65535');
  try {
    const colon = userinfo?.indexOf(':') ?? -1;
    const user =
      userinfo === undefined
        ? undefined
        : decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon)) || undefined;
    const password =
      userinfo === undefined || colon < 0
        ? undefined
        : decodeURIComponent(userinfo.slice(colon + 1));
    const database =
      slash < 0 ? undefined : decodeURIComponent(location.slice(slash + 1)) || undefined;
    return {
      host: match.groups['host']!.replace(/^\[|\]$/g, ''),
      port,
      user,
      password,
      database,
      ssl,
    };
  } catch {
    throw fail('the user, password or database is not valid percent-encoded UTF-8');
  }
}

/** Every value arrives as PostgreSQL's text form; the adapter converts it by column type. */
const RAW_TYPES = {
  getTypeParser: () => (value: string) => value,
} as unknown as pg.CustomTypesConfig;

/**
 * Pools to one PostgreSQL server, one per database (a connection is bound to
 * its database), created on first use and bounded in number.
 *
 * Every session: READ COMMITTED (the row store's per-key lock relies on each
 * statement taking a fresh snapshot), UTC, ISO dates, hex bytea, standard
 * strings (the row store writes literals), and server-side statement, lock
 * and idle-in-transaction timeouts so a statement the client gave up on
 * cannot land long after it.
 */
export class PostgresConnection implements StoreConnection {
  readonly kind = 'postgres' as const;
  private readonly address: Address;
  private readonly pools = new Map<string, pg.Pool>();
  private readonly closing: Promise<void>[] = [];
  private readonly poolSize: number;
  private readonly maxDatabases: number;
  readonly timeoutMs: number;
  /** The database of the URL (or the user's, as libpq does). */
  readonly defaultDatabase: string;

  constructor(options: PostgresOptions) {
    const address = parsePostgresUrl(options.url);
    this.address = {
      ...address,
      user: options.user ?? address.user ?? 'postgres',
      password: options.password ?? address.password,
    };
    this.defaultDatabase = address.database ?? this.address.user!;
    this.poolSize = options.poolSize ?? 10;
    this.maxDatabases = Math.max(1, options.maxDatabases ?? 16);
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  /** The pool of one database, the most recently used kept. */
  pool(database: string = this.defaultDatabase): pg.Pool {
    let pool = this.pools.get(database);
    if (pool) {
      this.pools.delete(database);
      this.pools.set(database, pool);
      return pool;
    }
    const settings = [
      'default_transaction_isolation=read\\ committed',
      'TimeZone=UTC',
      'DateStyle=ISO,YMD',
      'IntervalStyle=iso_8601',
      'bytea_output=hex',
      'standard_conforming_strings=on',
      'extra_float_digits=1',
    ];
    pool = new pg.Pool({
      host: this.address.host,
      port: this.address.port,
      user: this.address.user,
      ...(this.address.password === undefined ? {} : { password: this.address.password }),
      ...(this.address.ssl ? { ssl: true } : {}),
      database,
      max: this.poolSize,
      connectionTimeoutMillis: this.timeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: this.timeoutMs,
      lock_timeout: this.timeoutMs,
      idle_in_transaction_session_timeout: this.timeoutMs * 2,
      query_timeout: this.timeoutMs + 1000,
      keepAlive: true,
      application_name: 'wail',
      options: settings.map((setting) => `-c ${setting}`).join(' '),
      types: RAW_TYPES,
    });
    // An idle connection the server dropped: the pool discards it; the next
    // query reports the outage.
    pool.on('error', () => undefined);
    this.pools.set(database, pool);
    if (this.pools.size > this.maxDatabases) this.evictIdle(database);
    return pool;
  }

  /**
   * Closes the least recently used pool with nothing in flight: a pool's
   * queued requests would only time out once it is ending. When every pool
   * is busy the bound is exceeded until one is idle (the next new pool tries
   * again), rather than failing requests.
   */
  private evictIdle(keep: string): void {
    for (const [database, pool] of this.pools) {
      if (database !== keep && pool.waitingCount === 0 && pool.idleCount === pool.totalCount) {
        this.pools.delete(database);
        this.closing.push(pool.end().catch(() => undefined));
        if (this.pools.size <= this.maxDatabases) return;
      }
    }
  }

  /** A simple-protocol query (no parameters) or an extended one (with). */
  query(database: string, text: string, values?: unknown[]): Promise<pg.QueryResult> {
    return values === undefined
      ? this.pool(database).query(text)
      : this.pool(database).query(text, values);
  }

  async ping(): Promise<void> {
    await this.pool().query('SELECT 1');
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all([...pools.map((pool) => pool.end().catch(() => undefined)), ...this.closing]);
  }
}
