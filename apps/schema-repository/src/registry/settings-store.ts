import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../storage/stores';

export type SettingColumn = 'compatibility' | 'mode';

/** The global settings' row. */
const GLOBAL = '';

/**
 * Compatibility levels and modes, global (`subject` undefined) or per subject
 * (`settings`): statements only. Values come back as stored; the rules that
 * read them decide what an unknown one means.
 */
export class SettingsStore {
  constructor(private readonly db: Queryable) {}

  async get(subject: string | undefined, column: SettingColumn): Promise<string | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      `SELECT ${column} AS value FROM settings WHERE scope = ?`,
      [subject ?? GLOBAL],
    );
    const value = rows[0]?.['value'];
    return typeof value === 'string' ? value : undefined;
  }

  /** The subject's own value of each column, else the global one (one read for both). */
  async effective(subject: string): Promise<Record<SettingColumn, unknown>> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT scope, compatibility, mode FROM settings WHERE scope IN (?, ?)',
      [subject, GLOBAL],
    );
    const pick = (column: SettingColumn): unknown =>
      rows.find((row) => row['scope'] === subject && row[column])?.[column] ??
      rows.find((row) => row['scope'] === GLOBAL && row[column])?.[column];
    return { compatibility: pick('compatibility'), mode: pick('mode') };
  }

  /** Sets one column (`null` clears it), keeping the other. */
  async put(
    subject: string | undefined,
    column: SettingColumn,
    value: string | null,
  ): Promise<void> {
    await this.db.execute(
      `INSERT INTO settings (scope, ${column}) VALUES (?, ?) ON DUPLICATE KEY UPDATE ${column} = VALUES(${column})`,
      [subject ?? GLOBAL, value],
    );
  }

  /** Forgets a subject's settings (its last version is gone). */
  async remove(subject: string): Promise<void> {
    await this.db.execute('DELETE FROM settings WHERE scope = ?', [subject]);
  }
}
