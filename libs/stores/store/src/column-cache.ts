import { WailError } from '@wail/errors';
import { routeTableProblems } from './keys';
import type { ColumnInfo, TableRef } from './store';

type Columns = ReadonlyMap<string, ColumnInfo>;

/** A physical table's full name: keyspace or database, PostgreSQL's schema, table. */
const qualified = (target: TableRef) =>
  [target.namespace, target.schema, target.table].filter((part) => part !== undefined).join('.');

/**
 * A physical table's columns, as the database describes them, trusted for a
 * while: every write checks its columns against them, so they must be cheap.
 * A failed load is not cached; `forget` drops a table whose shape changed.
 * The route is checked against the columns on every use (a pure, cheap check),
 * so a route changed at run time is judged against the table straight away.
 */
export class ColumnCache {
  private readonly entries = new Map<string, { at: number; columns: Promise<Columns> }>();

  constructor(
    /** `Cassandra`, `MySQL`, …, for messages. */
    private readonly storeName: string,
    private readonly load: (target: TableRef) => Promise<Columns>,
    private readonly ttlMs = 30_000,
  ) {}

  async get(target: TableRef): Promise<Columns> {
    const columns = await this.loaded(target);
    try {
      return this.checked(target, columns);
    } catch (error) {
      // The table may have just been fixed: look again, at most once a second.
      const entry = this.entries.get(qualified(target));
      if (entry && Date.now() - entry.at > 1000) this.forget(target);
      throw error;
    }
  }

  private loaded(target: TableRef): Promise<Columns> {
    const key = qualified(target);
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.columns;
    const columns = this.load(target);
    this.entries.set(key, { at: Date.now(), columns });
    columns.catch(() => this.entries.delete(key));
    return columns;
  }

  private checked(target: TableRef, columns: Columns): Columns {
    const problems = routeTableProblems(target, columns);
    if (problems.length > 0)
      throw new WailError(
        'ROUTE_MISMATCH',
        `the route does not fit ${this.storeName} table ${qualified(target)}: ${problems.join('; ')}`,
        { details: { problems } },
      );
    return columns;
  }

  forget(target: TableRef): void {
    this.entries.delete(qualified(target));
  }
}
