import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { registryErrors as errors } from '../http/registry-errors';
import type { SchemaRegistry } from '../registry/schema-registry';
import { inTransaction } from '../storage/transactions';
import type { RouteFit } from './route-fit';
import { assertTableName, type TableRoute } from './table-route';
import { TopicClaims } from './topic-claims';
import { DEFAULT_TOPIC_POLICY, type TopicPolicy } from './topic-policy';
import { validateModel, validateRoute } from './validation';

export interface StoredRoute extends TableRoute {
  revision: number;
}

export interface RouteListing {
  /** Changes with every route or model change: the cheap thing to poll (also the ETag). */
  revision: number;
  tables: (StoredRoute & { table: string; modelVersion: number | null })[];
}

export interface ModelVersion {
  table: string;
  version: number;
  keySchemaId: number;
  valueSchemaId: number;
  eventTopic: string;
}

export interface ModelVersionDetail extends ModelVersion {
  schema: Record<string, unknown>;
  keySubject: string;
  valueSubject: string;
  revision: number;
}

/**
 * Table routes and data models. Every change appends to `control_changes`,
 * whose auto-increment id is the revision proxies and consumers poll.
 */
export class ControlPlane {
  private readonly topicClaims: TopicClaims;

  constructor(
    private readonly pool: Pool,
    private readonly registry: SchemaRegistry,
    private readonly fit?: RouteFit,
    private readonly topics: TopicPolicy = DEFAULT_TOPIC_POLICY,
  ) {
    this.topicClaims = new TopicClaims(pool);
  }

  async revision(): Promise<number> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT COALESCE(MAX(revision), 0) AS revision FROM control_changes',
    );
    return Number(rows[0]?.['revision'] ?? 0);
  }

  async listRoutes(): Promise<RouteListing> {
    const [routes] = await this.pool.query<RowDataPacket[]>(
      'SELECT table_name, spec, revision FROM table_routes ORDER BY table_name',
    );
    const [models] = await this.pool.query<RowDataPacket[]>(
      'SELECT table_name, MAX(version) AS version FROM data_models GROUP BY table_name',
    );
    const latest = new Map(
      models.map((row) => [String(row['table_name']), Number(row['version'])]),
    );
    return {
      revision: await this.revision(),
      tables: routes.map((row) => ({
        table: String(row['table_name']),
        ...(JSON.parse(String(row['spec'])) as TableRoute),
        revision: Number(row['revision']),
        modelVersion: latest.get(String(row['table_name'])) ?? null,
      })),
    };
  }

  async getRoute(table: string): Promise<StoredRoute> {
    assertTableName(table);
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      'SELECT spec, revision FROM table_routes WHERE table_name = ?',
      [table],
    );
    const row = rows[0];
    if (!row) throw errors.tableNotFound(table);
    return {
      ...(JSON.parse(String(row['spec'])) as TableRoute),
      revision: Number(row['revision']),
    };
  }

  /** Idempotent: putting the same route again changes nothing, not even the revision. */
  async putRoute(table: string, body: unknown): Promise<StoredRoute> {
    const route = validateRoute(table, body, this.topics);
    const problems = (await this.fit?.problems(table, route)) ?? [];
    if (problems.length > 0) {
      const where = route.store === 'cassandra' ? route.keyspace : route.database;
      throw errors.invalidRoute(
        `it does not fit ${route.store} table ${where}.${route.physicalTable}: ${problems.join('; ')}`,
      );
    }
    const spec = JSON.stringify(route);
    return this.topicClaims.exclusive(async (tx) => {
      await this.topicClaims.assertIntentTopicFree(tx, table, route.intentTopic);
      const [rows] = await tx.execute<RowDataPacket[]>(
        'SELECT spec, revision FROM table_routes WHERE table_name = ? FOR UPDATE',
        [table],
      );
      const current = rows[0];
      if (current && String(current['spec']) === spec)
        return { ...route, revision: Number(current['revision']) };
      const revision = await this.recordChange(tx, 'route', table);
      await tx.execute(
        'INSERT INTO table_routes (table_name, spec, revision) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE spec = VALUES(spec), revision = VALUES(revision)',
        [table, spec, revision],
      );
      return { ...route, revision };
    });
  }

  async deleteRoute(table: string): Promise<StoredRoute> {
    const route = await this.getRoute(table);
    await inTransaction(this.pool, async (tx) => {
      const [result] = await tx.execute<ResultSetHeader>(
        'DELETE FROM table_routes WHERE table_name = ?',
        [table],
      );
      if (result.affectedRows === 0) throw errors.tableNotFound(table);
      await this.recordChange(tx, 'route', table);
    });
    return route;
  }

  /**
   * Registers a data model version: derives the key and envelope schemas,
   * registers them under `<topic>-key` and `<topic>-value` (the subjects'
   * compatibility levels apply; an incompatible envelope answers 409 with the
   * reasons) and records the version. Registering the latest model again
   * returns it unchanged.
   */
  async registerModel(table: string, body: unknown): Promise<ModelVersion> {
    const route = await this.getRoute(table);
    const model = validateModel(table, route, body, this.topics, this.registry.bounds);

    const latest = await this.latestModel(this.pool, table);
    if (latest && latest.schemaText === model.canonical && latest.eventTopic === model.eventTopic)
      return latest.summary;

    // The topic is checked before its subjects are touched, under the lock
    // that keeps it checked until the version is recorded.
    return this.topicClaims.exclusive(async (tx) => {
      const current = await this.latestModel(tx, table);
      if (
        current &&
        current.schemaText === model.canonical &&
        current.eventTopic === model.eventTopic
      )
        return current.summary;
      await this.topicClaims.assertEventTopicFree(tx, table, model.eventTopic);
      const key = await this.registry.register(`${model.eventTopic}-key`, {
        schema: JSON.stringify(model.keySchema),
      });
      const value = await this.registry.register(`${model.eventTopic}-value`, {
        schema: JSON.stringify(model.valueSchema),
      });
      const [rows] = await tx.execute<RowDataPacket[]>(
        'SELECT COALESCE(MAX(version), 0) AS version FROM data_models WHERE table_name = ? FOR UPDATE',
        [table],
      );
      const version = Number(rows[0]?.['version'] ?? 0) + 1;
      const revision = await this.recordChange(tx, 'model', table);
      await tx.execute(
        `INSERT INTO data_models (table_name, version, schema_text, event_topic, key_schema_id, value_schema_id, revision)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [table, version, model.canonical, model.eventTopic, key.id, value.id, revision],
      );
      return {
        table,
        version,
        keySchemaId: key.id,
        valueSchemaId: value.id,
        eventTopic: model.eventTopic,
      };
    });
  }

  async listModelVersions(table: string): Promise<number[]> {
    assertTableName(table);
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      'SELECT version FROM data_models WHERE table_name = ? ORDER BY version',
      [table],
    );
    if (rows.length === 0) throw errors.modelNotFound(table);
    return rows.map((row) => Number(row['version']));
  }

  async getModel(table: string, version: number | 'latest'): Promise<ModelVersionDetail> {
    assertTableName(table);
    const [rows] =
      version === 'latest'
        ? await this.pool.execute<RowDataPacket[]>(
            'SELECT * FROM data_models WHERE table_name = ? ORDER BY version DESC LIMIT 1',
            [table],
          )
        : await this.pool.execute<RowDataPacket[]>(
            'SELECT * FROM data_models WHERE table_name = ? AND version = ?',
            [table, version],
          );
    const row = rows[0];
    if (!row)
      throw version === 'latest'
        ? errors.modelNotFound(table)
        : errors.modelVersionNotFound(table, version);
    const eventTopic = String(row['event_topic']);
    return {
      table,
      version: Number(row['version']),
      schema: JSON.parse(String(row['schema_text'])) as Record<string, unknown>,
      keySchemaId: Number(row['key_schema_id']),
      valueSchemaId: Number(row['value_schema_id']),
      eventTopic,
      keySubject: `${eventTopic}-key`,
      valueSubject: `${eventTopic}-value`,
      revision: Number(row['revision']),
    };
  }

  private async latestModel(db: Pool | PoolConnection, table: string) {
    const [rows] = await db.execute<RowDataPacket[]>(
      'SELECT version, schema_text, event_topic, key_schema_id, value_schema_id FROM data_models WHERE table_name = ? ORDER BY version DESC LIMIT 1',
      [table],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      schemaText: String(row['schema_text']),
      eventTopic: String(row['event_topic']),
      summary: {
        table,
        version: Number(row['version']),
        keySchemaId: Number(row['key_schema_id']),
        valueSchemaId: Number(row['value_schema_id']),
        eventTopic: String(row['event_topic']),
      },
    };
  }

  private async recordChange(
    tx: PoolConnection,
    kind: 'route' | 'model',
    table: string,
  ): Promise<number> {
    const [result] = await tx.execute<ResultSetHeader>(
      'INSERT INTO control_changes (kind, table_name) VALUES (?, ?)',
      [kind, table],
    );
    return result.insertId;
  }
}
