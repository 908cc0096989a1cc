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
    private readonly load: (target: TableRef) => Promise<Columns>,
    private readonly ttlMs = 30_000,
  ) {}

  get(target: TableRef): Promise<Columns> {
    const key = `${target.namespace}.${target.table}`;
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.columns;
    const columns = this.load(target);
    this.entries.set(key, { at: Date.now(), columns });
    columns.catch(() => this.entries.delete(key));
    return columns;
  }

  forget(target: TableRef): void {
    this.entries.delete(`${target.namespace}.${target.table}`);
  }
}
