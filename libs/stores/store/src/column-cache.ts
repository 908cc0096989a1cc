import { WailError } from '@wail/errors';
import type { ColumnInfo, TableRef } from './store';

type Columns = ReadonlyMap<string, ColumnInfo>;

/**
 * A physical table's columns, as the database describes them, trusted for a
 * while: every write checks its columns against them, so they must be cheap.
 * A failed load is not cached; `forget` drops a table whose shape changed.
 */
export class ColumnCache {
  private readonly entries = new Map<string, { at: number; columns: Promise<Columns> }>();

  constructor(
    /** `Cassandra` or `MySQL`, for messages. */
    private readonly storeName: string,
    private readonly load: (target: TableRef) => Promise<Columns>,
    private readonly ttlMs = 30_000,
  ) {}

  get(target: TableRef): Promise<Columns> {
    const key = `${target.namespace}.${target.table}`;
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.columns;
    const columns = this.load(target).then((loaded) => this.checked(target, loaded));
    this.entries.set(key, { at: Date.now(), columns });
    columns.catch(() => this.entries.delete(key));
    return columns;
  }

  /** A table WAIL manages has its key columns and a 64-bit `wail_ts`. */
  private checked(target: TableRef, columns: Columns): Columns {
    const name = `${this.storeName} table ${target.namespace}.${target.table}`;
    if (columns.get('wail_ts')?.type !== 'bigint') {
      throw new WailError('DATABASE_REJECTED', `${name} has no wail_ts bigint column`);
    }
    const missing = target.keyColumns.filter((key) => !columns.has(key));
    if (missing.length > 0)
      throw new WailError('DATABASE_REJECTED', `${name} has no key column ${missing.join(', ')}`);
    return columns;
  }

  forget(target: TableRef): void {
    this.entries.delete(`${target.namespace}.${target.table}`);
  }
}
