import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../storage/stores';

/**
 * The control plane's change log (`control_changes`: its auto-increment id
 * is the revision proxies and consumers poll) and the lock its writers take
 * (`control_locks`): statements only.
 */
export class ChangeLog {
  constructor(private readonly db: Queryable) {}

  async revision(): Promise<number> {
    const [rows] = await this.db.query<RowDataPacket[]>(
      'SELECT COALESCE(MAX(revision), 0) AS revision FROM control_changes',
    );
    return Number(rows[0]?.['revision'] ?? 0);
  }

  /** Appends a change; its revision. */
  async record(kind: 'route' | 'model', table: string): Promise<number> {
    const [result] = await this.db.execute<ResultSetHeader>(
      'INSERT INTO control_changes (kind, table_name) VALUES (?, ?)',
      [kind, table],
    );
    return result.insertId;
  }

  /** Locks the topics row until the transaction ends; false when the row is missing. */
  async lockTopics(): Promise<boolean> {
    const [rows] = await this.db.query<RowDataPacket[]>(
      "SELECT name FROM control_locks WHERE name = 'topics' FOR UPDATE",
    );
    return rows.length > 0;
  }
}
