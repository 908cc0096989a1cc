import type { Pool, PoolConnection } from 'mysql2/promise';

/** Pooled connections already switched to READ COMMITTED for their session. */
const readCommitted = new WeakSet<object>();

const RETRIABLE = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
]);

/**
 * Runs `work` in a READ COMMITTED transaction, retrying it from the start when
 * InnoDB picks it as a deadlock victim or a lock wait times out (both leave
 * nothing behind). Any other error rolls back and propagates.
 *
 * READ COMMITTED because every invariant here is guarded by an explicit row
 * lock (`SELECT … FOR UPDATE` on the subject or the table) or a unique key,
 * and REPEATABLE READ's gap locks only add deadlocks between unrelated
 * subjects whose rows happen to be neighbours in an index.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (connection: PoolConnection) => Promise<T>,
  attempts = 10,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.getConnection();
    try {
      if (!readCommitted.has(connection.connection)) {
        await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        readCommitted.add(connection.connection);
      }
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      const errno = (error as { errno?: number }).errno;
      if (errno === undefined || !RETRIABLE.has(errno) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    } finally {
      connection.release();
    }
  }
}
