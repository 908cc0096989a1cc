import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../storage/stores';
import type { SchemaReference, StoredSchema } from './types';

export interface VersionRow {
  version: number;
  schemaId: number;
  deleted: boolean;
}

/** Which of a subject's versions to read (all of them, oldest first, by default). */
export interface VersionFilter {
  schemaId?: number;
  version?: number;
  liveOnly?: boolean;
  /** Only the newest (of those the other fields select). */
  newestOnly?: boolean;
}

/**
 * Schemas, subjects and their versions (`stored_schemas`, `schema_references`,
 * `subjects`, `subject_versions`): statements only, no rules.
 */
export class SchemaStore {
  constructor(private readonly db: Queryable) {}

  async schemaById(id: number): Promise<StoredSchema | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT id, canonical, refs FROM stored_schemas WHERE id = ?',
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: Number(row['id']),
      schemaType: 'AVRO',
      schema: String(row['canonical']),
      references: JSON.parse(String(row['refs'])) as SchemaReference[],
    };
  }

  async idByFingerprint(fingerprint: Buffer): Promise<number | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT id FROM stored_schemas WHERE fingerprint = ?',
      [fingerprint],
    );
    return rows[0] ? Number(rows[0]['id']) : undefined;
  }

  async fingerprintById(id: number): Promise<Buffer | undefined> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT fingerprint FROM stored_schemas WHERE id = ?',
      [id],
    );
    return rows[0] ? Buffer.from(rows[0]['fingerprint'] as Buffer) : undefined;
  }

  /** The schema's id: `explicitId`, a new one, or the id a concurrent duplicate already got. */
  async insertSchema(
    schema: { fingerprint: Buffer; canonical: string },
    references: readonly SchemaReference[],
    explicitId?: number,
  ): Promise<number> {
    const refs = JSON.stringify(
      references.map(({ name, subject, version }) => ({ name, subject, version })),
    );
    let id: number;
    if (explicitId !== undefined) {
      await this.db.execute(
        'INSERT INTO stored_schemas (id, schema_type, fingerprint, canonical, refs) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id',
        [explicitId, 'AVRO', schema.fingerprint, schema.canonical, refs],
      );
      id = explicitId;
    } else {
      // LAST_INSERT_ID(id) makes a concurrent duplicate return the winner's id.
      const [result] = await this.db.execute<ResultSetHeader>(
        'INSERT INTO stored_schemas (schema_type, fingerprint, canonical, refs) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)',
        ['AVRO', schema.fingerprint, schema.canonical, refs],
      );
      id = result.insertId;
    }
    for (const [ordinal, reference] of references.entries()) {
      await this.db.execute(
        'INSERT IGNORE INTO schema_references (schema_id, ordinal, name, ref_subject, ref_version) VALUES (?, ?, ?, ?, ?)',
        [id, ordinal, reference.name, reference.subject, reference.version],
      );
    }
    return id;
  }

  async subjectVersionsForId(
    id: number,
    includeDeleted: boolean,
  ): Promise<{ subject: string; version: number }[]> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      `SELECT subject, version FROM subject_versions WHERE schema_id = ? ${includeDeleted ? '' : 'AND deleted = 0'} ORDER BY subject, version`,
      [id],
    );
    return rows.map((row) => ({
      subject: String(row['subject']),
      version: Number(row['version']),
    }));
  }

  /** Subjects starting with `prefix`: those with a live version, every one, or those with none. */
  async subjects(prefix: string, which: 'live' | 'all' | 'deletedOnly'): Promise<string[]> {
    const filter = {
      live: 'HAVING SUM(deleted = 0) > 0',
      all: '',
      deletedOnly: 'HAVING SUM(deleted = 0) = 0',
    }[which];
    const [rows] = await this.db.execute<RowDataPacket[]>(
      `SELECT subject FROM subject_versions WHERE subject LIKE ? GROUP BY subject ${filter} ORDER BY subject`,
      [`${escapeLike(prefix)}%`],
    );
    return rows.map((row) => String(row['subject']));
  }

  /** Versions of subjects starting with `prefix`, by subject then version. */
  async versionsByPrefix(
    prefix: string,
    includeDeleted: boolean,
  ): Promise<{ subject: string; version: number; schemaId: number }[]> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      `SELECT subject, version, schema_id FROM subject_versions
        WHERE subject LIKE ? ${includeDeleted ? '' : 'AND deleted = 0'} ORDER BY subject, version`,
      [`${escapeLike(prefix)}%`],
    );
    return rows.map((row) => ({
      subject: String(row['subject']),
      version: Number(row['version']),
      schemaId: Number(row['schema_id']),
    }));
  }

  async versions(subject: string, filter: VersionFilter = {}): Promise<VersionRow[]> {
    const conditions: string[] = [];
    const parameters: (string | number)[] = [subject];
    if (filter.schemaId !== undefined) {
      conditions.push('AND schema_id = ?');
      parameters.push(filter.schemaId);
    }
    if (filter.version !== undefined) {
      conditions.push('AND version = ?');
      parameters.push(filter.version);
    }
    if (filter.liveOnly) conditions.push('AND deleted = 0');
    const [rows] = await this.db.execute<RowDataPacket[]>(
      `SELECT version, schema_id, deleted FROM subject_versions WHERE subject = ? ${conditions.join(' ')} ORDER BY version ${filter.newestOnly ? 'DESC LIMIT 1' : 'ASC'}`,
      parameters,
    );
    return rows.map((row) => ({
      version: Number(row['version']),
      schemaId: Number(row['schema_id']),
      deleted: Boolean(row['deleted']),
    }));
  }

  async maxVersion(subject: string): Promise<number> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT COALESCE(MAX(version), 0) AS max FROM subject_versions WHERE subject = ?',
      [subject],
    );
    return Number(rows[0]?.['max'] ?? 0);
  }

  /** Whether `subject` (any subject when undefined) has a version, deleted or not. */
  async hasVersions(subject: string | undefined): Promise<boolean> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      subject === undefined
        ? 'SELECT 1 FROM subject_versions LIMIT 1'
        : 'SELECT 1 FROM subject_versions WHERE subject = ? LIMIT 1',
      subject === undefined ? [] : [subject],
    );
    return rows.length > 0;
  }

  /** Ids of the schemas that reference this subject version. */
  async referencingSchemaIds(subject: string, version: number): Promise<number[]> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT DISTINCT schema_id FROM schema_references WHERE ref_subject = ? AND ref_version = ? ORDER BY schema_id',
      [subject, version],
    );
    return rows.map((row) => Number(row['schema_id']));
  }

  /** A schema with a live version that references one of these versions of `subject`, if any. */
  async liveReferrer(subject: string, versions: readonly number[]): Promise<number | undefined> {
    if (versions.length === 0) return undefined;
    const [rows] = await this.db.query<RowDataPacket[]>(
      `SELECT r.schema_id FROM schema_references r
         JOIN subject_versions v ON v.schema_id = r.schema_id AND v.deleted = 0
        WHERE r.ref_subject = ? AND r.ref_version IN (?) LIMIT 1`,
      [subject, versions],
    );
    return rows[0] ? Number(rows[0]['schema_id']) : undefined;
  }

  /** Locks the subject's row (`subjects`) until the transaction ends; false when it has none yet. */
  async lockSubject(subject: string): Promise<boolean> {
    const [rows] = await this.db.execute<RowDataPacket[]>(
      'SELECT subject FROM subjects WHERE subject = ? FOR UPDATE',
      [subject],
    );
    return rows.length > 0;
  }

  /** The row `lockSubject` locks. */
  async createSubject(subject: string): Promise<void> {
    await this.db.execute('INSERT IGNORE INTO subjects (subject) VALUES (?)', [subject]);
  }

  async insertVersion(subject: string, version: number, schemaId: number): Promise<void> {
    await this.db.execute(
      'INSERT INTO subject_versions (subject, version, schema_id) VALUES (?, ?, ?)',
      [subject, version, schemaId],
    );
  }

  async softDeleteVersion(subject: string, version: number): Promise<void> {
    await this.db.execute(
      'UPDATE subject_versions SET deleted = 1 WHERE subject = ? AND version = ?',
      [subject, version],
    );
  }

  async deleteVersion(subject: string, version: number): Promise<void> {
    await this.db.execute('DELETE FROM subject_versions WHERE subject = ? AND version = ?', [
      subject,
      version,
    ]);
  }

  async softDeleteSubject(subject: string): Promise<void> {
    await this.db.execute('UPDATE subject_versions SET deleted = 1 WHERE subject = ?', [subject]);
  }

  async deleteSubject(subject: string): Promise<void> {
    await this.db.execute('DELETE FROM subject_versions WHERE subject = ?', [subject]);
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}
