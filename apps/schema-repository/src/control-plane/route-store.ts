import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../storage/stores';
import { DEFAULT_CLUSTER, type StoredRoute } from '@wail/contracts';
import type { TableRoute } from './table-route';

/**
 * Table routes (`table_routes`), one row per logical table with its route as
 * JSON (`spec`, the validated route serialized) and the revision that last
 * changed it: statements only.
 */
export class RouteStore {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<(StoredRoute & { table: string })[]> {
    const [rows] = await this.db.query<RowDataPacket[]>(
      'SELECT table_name, spec, revision FROM table_routes ORDER BY table_name',
    );
    return rows.map((row) => ({
      table: String(row['table_name']),
      ...parseSpec(String(row['spec'])),
      revision: Number(row['revision']),
    }));
  }

  async get(table: string): Promise<StoredRoute | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT spec, revision FROM table_routes WHERE table_name = ?',
      [table],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...parseSpec(String(row['spec'])),
      revision: Number(row['revision']),
    };
  }

  /** The stored spec text and revision, the row locked until the transaction ends. */
  async lock(table: string): Promise<{ spec: string; revision: number } | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT spec, revision FROM table_routes WHERE table_name = ? FOR UPDATE',
      [table],
    );
    const row = rows[0];
    return row ? { spec: String(row['spec']), revision: Number(row['revision']) } : undefined;
  }

  async put(table: string, spec: string, revision: number): Promise<void> {
    await this.db.execute(
      'INSERT INTO table_routes (table_name, spec, revision) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE spec = VALUES(spec), revision = VALUES(revision)',
      [table, spec, revision],
    );
  }

  /** False when the table had no route. */
  async delete(table: string): Promise<boolean> {
    const [result] = await this.db.execute<ResultSetHeader>(
      'DELETE FROM table_routes WHERE table_name = ?',
      [table],
    );
    return result.affectedRows > 0;
  }

  /** Every route's intent topic, by table. */
  /** Every other Redis route's key prefix (under the topic lock, like the topics). */
  async redisKeyPrefixes(): Promise<{ table: string; keyPrefix: string }[]> {
    const [rows] = await this.db.query<RowDataPacket[]>(
      'SELECT table_name, spec FROM table_routes ORDER BY table_name',
    );
    return rows.flatMap((row) => {
      const spec = JSON.parse(String(row['spec'])) as { store: string; keyPrefix?: string };
      return spec.store === 'redis' && spec.keyPrefix !== undefined
        ? [{ table: String(row['table_name']), keyPrefix: spec.keyPrefix }]
        : [];
    });
  }

  async intentTopics(): Promise<{ table: string; intentTopic: string }[]> {
    const [rows] = await this.db.query<RowDataPacket[]>(
      'SELECT table_name, spec FROM table_routes ORDER BY table_name',
    );
    return rows.map((row) => ({
      table: String(row['table_name']),
      intentTopic: String((JSON.parse(String(row['spec'])) as { intentTopic: string }).intentTopic),
    }));
  }
}

/** A stored spec; routes stored before clusters existed log to the default cluster. */
export function parseSpec(text: string): TableRoute {
  return {
    intentCluster: DEFAULT_CLUSTER,
    ...(JSON.parse(text) as Partial<TableRoute>),
  } as TableRoute;
}
