import type { Logger } from 'pino';
import { NotReadyError } from '@wail/runtime';
import { MysqlConnection, type MysqlOptions } from '@wail/store-mysql';
import { migrate } from './migrations';

/**
 * Creates the repository's database and applies migrations, retrying until
 * MySQL answers, so the service can start before its database and become
 * ready when it appears. Readiness asks `assertReady()`.
 */
export class DatabaseBootstrap {
  private done = false;
  private lastError: unknown;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    /** The server, without the database: it may not exist yet. */
    private readonly server: Omit<MysqlOptions, 'database'>,
    private readonly database: string,
    private readonly target: MysqlConnection,
    private readonly logger: Logger,
    private readonly retryMs = 1000,
  ) {}

  /** Resolves after the first attempt, successful or not; later attempts continue in the background. */
  async start(): Promise<void> {
    await this.attempt();
  }

  assertReady(): void {
    if (!this.done) throw new NotReadyError('not migrated yet', { cause: this.lastError });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    try {
      await this.ensureDatabase();
      const applied = await migrate(this.target.pool);
      if (applied.length > 0)
        this.logger.info({ applied, database: this.database }, 'migrations applied');
      this.done = true;
    } catch (error) {
      this.lastError = error;
      this.logger.warn(
        { err: error, retryMs: this.retryMs },
        'database bootstrap failed, retrying',
      );
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.attempt(), this.retryMs);
        this.timer.unref();
      }
    }
  }

  /** The database name comes from validated configuration, never from a request. */
  private async ensureDatabase(): Promise<void> {
    const bootstrap = new MysqlConnection({ ...this.server, connectionLimit: 1 });
    try {
      await bootstrap.pool.query(
        `CREATE DATABASE IF NOT EXISTS \`${this.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
      );
    } finally {
      await bootstrap.close();
    }
  }
}
