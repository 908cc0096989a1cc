import type { Pool, PoolConnection } from 'mysql2/promise';

const RETRIABLE = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
]);

/**
 * Runs `work` in a transaction, retrying it from the start when InnoDB picks
 * it as a deadlock victim or a lock wait times out (both leave nothing
 * behind). Any other error rolls back and propagates.
 */
export async function inTransaction<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      const errno = (error as { errno?: number }).errno;
      if (errno === undefined || !RETRIABLE.has(errno) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    } finally {
      connection.release();
    }
  }
}
