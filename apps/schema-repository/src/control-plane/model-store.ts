import type { ModelVersion } from '@wail/contracts';
import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../storage/stores';

/** A version as stored, with the canonical text of its record (`schema_text`). */
export interface StoredModel extends ModelVersion {
  schemaText: string;
  revision: number;
}

/** Data model versions (`data_models`): statements only. */
export class ModelStore {
  constructor(private readonly db: Queryable) {}

  /** The newest version of every table that has a model. */
  async latestVersions(): Promise<Map<string, number>> {
    const [rows] = await this.db.query<RowDataPacket[]>(
      'SELECT table_name, MAX(version) AS version FROM data_models GROUP BY table_name',
    );
    return new Map(rows.map((row) => [String(row['table_name']), Number(row['version'])]));
  }

  async versions(table: string): Promise<number[]> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT version FROM data_models WHERE table_name = ? ORDER BY version',
      [table],
    );
    return rows.map((row) => Number(row['version']));
  }

  async get(table: string, version: number | 'latest'): Promise<StoredModel | undefined> {
    const [rows] =
      version === 'latest'
        ? await this.db.execute<RowDataPacket[]>(
            'SELECT * FROM data_models WHERE table_name = ? ORDER BY version DESC LIMIT 1',
            [table],
          )
        : await this.db.execute<RowDataPacket[]>(
            'SELECT * FROM data_models WHERE table_name = ? AND version = ?',
            [table, version],
          );
    const row = rows[0];
    if (!row) return undefined;
    return {
      table,
      version: Number(row['version']),
      schemaText: String(row['schema_text']),
      keySchemaId: Number(row['key_schema_id']),
      valueSchemaId: Number(row['value_schema_id']),
      eventTopic: String(row['event_topic']),
      ...(row['event_cluster'] === null || row['event_cluster'] === undefined
        ? {}
        : { eventCluster: String(row['event_cluster']) }),
      claimCheckBytes: Number(row['claim_check_bytes']),
      revision: Number(row['revision']),
    };
  }

  /** The version the next registration of `table` gets, the table's rows locked until the transaction ends. */
  async lockNextVersion(table: string): Promise<number> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT COALESCE(MAX(version), 0) AS version FROM data_models WHERE table_name = ? FOR UPDATE',
      [table],
    );
    return Number(rows[0]?.['version'] ?? 0) + 1;
  }

  async insert(model: StoredModel): Promise<void> {
    await this.db.execute(
      `INSERT INTO data_models (table_name, version, schema_text, event_topic, event_cluster, claim_check_bytes, key_schema_id, value_schema_id, revision)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        model.table,
        model.version,
        model.schemaText,
        model.eventTopic,
        model.eventCluster ?? null,
        model.claimCheckBytes,
        model.keySchemaId,
        model.valueSchemaId,
        model.revision,
      ],
    );
  }

  /** The event topics of every table's versions, or of every table but `exceptTable`. */
  async eventTopics(exceptTable?: string): Promise<{ table: string; eventTopic: string }[]> {
    const [rows] =
      exceptTable === undefined
        ? await this.db.query<RowDataPacket[]>(
            'SELECT DISTINCT table_name, event_topic FROM data_models',
          )
        : await this.db.query<RowDataPacket[]>(
            'SELECT DISTINCT table_name, event_topic FROM data_models WHERE table_name <> ?',
            [exceptTable],
          );
    return rows.map((row) => ({
      table: String(row['table_name']),
      eventTopic: String(row['event_topic']),
    }));
  }
}
