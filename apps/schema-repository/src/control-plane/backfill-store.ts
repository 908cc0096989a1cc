import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../storage/stores';
import type { BackfillCheckpoint, BackfillCheckpointInput } from './backfill-checkpoint';

/**
 * Backfill checkpoints (`backfills`), one row per table: the checkpoint as
 * JSON and when it was last written; statements only.
 */
export class BackfillStore {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<(BackfillCheckpoint & { table: string })[]> {
    const [rows] = await this.db.query<RowDataPacket[]>(
      'SELECT table_name, checkpoint, UNIX_TIMESTAMP(updated_at) AS updated FROM backfills ORDER BY table_name',
    );
    return rows.map((row) => ({ table: String(row['table_name']), ...checkpointOf(row) }));
  }

  async get(table: string, lock = false): Promise<BackfillCheckpoint | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      `SELECT checkpoint, UNIX_TIMESTAMP(updated_at) AS updated FROM backfills WHERE table_name = ?${lock ? ' FOR UPDATE' : ''}`,
      [table],
    );
    const row = rows[0];
    return row ? checkpointOf(row) : undefined;
  }

  /** How long ago the stored checkpoint was written, by the database's clock; undefined without one. */
  async age(table: string): Promise<number | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT TIMESTAMPDIFF(MICROSECOND, updated_at, CURRENT_TIMESTAMP(3)) DIV 1000 AS age FROM backfills WHERE table_name = ?',
      [table],
    );
    const row = rows[0];
    return row ? Number(row['age']) : undefined;
  }

  async put(table: string, checkpoint: BackfillCheckpointInput): Promise<void> {
    await this.db.execute(
      'INSERT INTO backfills (table_name, checkpoint, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE checkpoint = VALUES(checkpoint), updated_at = VALUES(updated_at)',
      [table, JSON.stringify(checkpoint)],
    );
  }

  /** False when the table had no checkpoint. */
  async delete(table: string): Promise<boolean> {
    const [result] = await this.db.execute<ResultSetHeader>(
      'DELETE FROM backfills WHERE table_name = ?',
      [table],
    );
    return result.affectedRows > 0;
  }
}

function checkpointOf(row: RowDataPacket): BackfillCheckpoint {
  const stored = JSON.parse(String(row['checkpoint'])) as BackfillCheckpointInput;
  // Seconds since the epoch (UNIX_TIMESTAMP: the session's time zone does not matter), as ISO 8601 UTC.
  return { ...stored, updatedAt: new Date(Number(row['updated']) * 1000).toISOString() };
}
