import { setImmediate as turn } from 'node:timers/promises';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import {
  checkAgainst,
  compatibilityTargets,
  describeFailures,
  isCompatibilityLevel,
  type CompatibilityFailure,
  type CompatibilityLevel,
} from '../avro/compatibility';
import {
  InvalidSchemaError,
  SchemaBoundError,
  parseAvroSchema,
  type ParsedSchema,
  type ResolvedReference,
} from '../avro/parse';
import {
  DEFAULT_SCHEMA_BOUNDS,
  STORED_SCHEMA_BOUNDS,
  type SchemaBounds,
} from '../avro/schema-bounds';
import type { AvroType } from '../avro/schema-reader';
import { registryErrors as errors } from '../http/registry-errors';
import { LruCache } from '@wail/runtime';
import { inTransaction } from '../storage/transactions';
import {
  isMode,
  type CompatibilityResult,
  type Mode,
  type RegisterRequest,
  type SchemaReference,
  type StoredSchema,
  type SubjectVersion,
  type VersionSpec,
} from './types';

const GLOBAL = '';
const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';
const DEFAULT_MODE: Mode = 'READWRITE';

interface VersionRow {
  version: number;
  schemaId: number;
  deleted: boolean;
}

export interface SchemaRegistryOptions {
  /** What a schema sent to register, look up or check may cost (stored ones are trusted). */
  bounds?: Partial<SchemaBounds>;
  /** Schemas kept in memory by id (immutable, so never invalidated). */
  cacheSize?: number;
}

/**
 * The Confluent Schema Registry semantics over MySQL. Every replica reads and
 * writes the same database, so any number of them can serve behind a load
 * balancer; only immutable data (schema text by id, parsed schemas) is cached.
 */
export class SchemaRegistry {
  private readonly byId: LruCache<number, StoredSchema>;
  private readonly parsedById: LruCache<number, AvroType>;
  readonly bounds: Readonly<SchemaBounds>;
  private readonly storedBounds: Readonly<SchemaBounds>;

  constructor(
    private readonly pool: Pool,
    options: SchemaRegistryOptions = {},
  ) {
    this.byId = new LruCache(options.cacheSize ?? 100_000);
    this.parsedById = new LruCache(Math.max(1000, Math.floor((options.cacheSize ?? 100_000) / 10)));
    this.bounds = Object.freeze({ ...DEFAULT_SCHEMA_BOUNDS, ...options.bounds });
    this.storedBounds = Object.freeze({
      ...STORED_SCHEMA_BOUNDS,
      maxComparisons: this.bounds.maxComparisons,
    });
  }

  // ---- schemas by id -------------------------------------------------------

  async schemaById(id: number): Promise<StoredSchema> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      'SELECT id, canonical, refs FROM stored_schemas WHERE id = ?',
      [id],
    );
    const row = rows[0];
    if (!row) throw errors.schemaIdNotFound(id);
    const schema: StoredSchema = {
      id: Number(row['id']),
      schemaType: 'AVRO',
      schema: String(row['canonical']),
      references: JSON.parse(String(row['refs'])) as SchemaReference[],
    };
    this.byId.set(id, schema);
    return schema;
  }

  async subjectVersionsForId(
    id: number,
    includeDeleted: boolean,
  ): Promise<{ subject: string; version: number }[]> {
    await this.schemaById(id);
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      `SELECT subject, version FROM subject_versions WHERE schema_id = ? ${includeDeleted ? '' : 'AND deleted = 0'} ORDER BY subject, version`,
      [id],
    );
    return rows.map((row) => ({
      subject: String(row['subject']),
      version: Number(row['version']),
    }));
  }

  // ---- subjects and versions -------------------------------------------------

  async listSubjects(options: {
    deleted?: boolean;
    deletedOnly?: boolean;
    prefix?: string;
  }): Promise<string[]> {
    const filter = options.deletedOnly
      ? 'HAVING SUM(deleted = 0) = 0'
      : options.deleted
        ? ''
        : 'HAVING SUM(deleted = 0) > 0';
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      `SELECT subject FROM subject_versions WHERE subject LIKE ? GROUP BY subject ${filter} ORDER BY subject`,
      [`${escapeLike(options.prefix ?? '')}%`],
    );
    return rows.map((row) => String(row['subject']));
  }

  async listVersions(
    subject: string,
    options: { deleted?: boolean; deletedOnly?: boolean },
  ): Promise<number[]> {
    const rows = await this.versionRows(this.pool, subject);
    if (rows.length === 0) throw errors.subjectNotFound(subject);
    const live = rows.filter((row) => !row.deleted);
    if (options.deletedOnly) return rows.filter((row) => row.deleted).map((row) => row.version);
    if (options.deleted) return rows.map((row) => row.version);
    if (live.length === 0) throw errors.subjectNotFound(subject);
    return live.map((row) => row.version);
  }

  async getVersion(
    subject: string,
    spec: VersionSpec,
    includeDeleted = false,
  ): Promise<SubjectVersion> {
    const row = this.pick(
      subject,
      await this.versionRows(this.pool, subject),
      spec,
      includeDeleted,
    );
    return { subject, version: row.version, ...(await this.schemaById(row.schemaId)) };
  }

  async referencedBy(subject: string, spec: VersionSpec): Promise<number[]> {
    const row = this.pick(subject, await this.versionRows(this.pool, subject), spec, true);
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      'SELECT DISTINCT schema_id FROM schema_references WHERE ref_subject = ? AND ref_version = ? ORDER BY schema_id',
      [subject, row.version],
    );
    return rows.map((r) => Number(r['schema_id']));
  }

  async listSchemas(options: {
    prefix?: string;
    deleted?: boolean;
    latestOnly?: boolean;
  }): Promise<SubjectVersion[]> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      `SELECT subject, version, schema_id FROM subject_versions
        WHERE subject LIKE ? ${options.deleted ? '' : 'AND deleted = 0'} ORDER BY subject, version`,
      [`${escapeLike(options.prefix ?? '')}%`],
    );
    let picked = rows.map((row) => ({
      subject: String(row['subject']),
      version: Number(row['version']),
      schemaId: Number(row['schema_id']),
    }));
    if (options.latestOnly) {
      const latest = new Map<string, (typeof picked)[number]>();
      for (const row of picked) latest.set(row.subject, row);
      picked = [...latest.values()];
    }
    return Promise.all(
      picked.map(async (row) => ({
        subject: row.subject,
        version: row.version,
        ...(await this.schemaById(row.schemaId)),
      })),
    );
  }

  /** `POST /subjects/{s}`: the version of `subject` that holds this schema. */
  async lookup(
    subject: string,
    request: RegisterRequest,
    includeDeleted = false,
  ): Promise<SubjectVersion> {
    const rows = await this.versionRows(this.pool, subject);
    const visible = includeDeleted ? rows : rows.filter((row) => !row.deleted);
    if (visible.length === 0) throw errors.subjectNotFound(subject);
    const parsed = await this.parse(request);
    const [found] = await this.pool.execute<RowDataPacket[]>(
      'SELECT id FROM stored_schemas WHERE fingerprint = ?',
      [parsed.fingerprint],
    );
    const id = found[0] ? Number(found[0]['id']) : undefined;
    const match = [...visible].reverse().find((row) => row.schemaId === id);
    if (id === undefined || !match) throw errors.schemaNotFound();
    return { subject, version: match.version, ...(await this.schemaById(id)) };
  }

  // ---- registration ----------------------------------------------------------

  /**
   * Registers a schema under a subject. An identical live schema returns its
   * id and version without a compatibility check; otherwise the subject is
   * locked, the candidate is checked against the subject's live versions at
   * the level in force, and it gets the schema's global id (new or existing)
   * and the next version.
   */
  async register(
    subject: string,
    request: RegisterRequest,
    options: { force?: boolean } = {},
  ): Promise<{ id: number; version: number }> {
    validateSubject(subject);
    const settings = await this.effectiveSettings(this.pool, subject);
    if (settings.mode === 'READONLY' || settings.mode === 'READONLY_OVERRIDE') {
      throw errors.notPermitted(`Subject ${subject} is in read-only mode`);
    }
    if (request.id !== undefined && settings.mode !== 'IMPORT') {
      throw errors.notPermitted(`Subject ${subject} is not in import mode`);
    }
    const parsed = await this.parse(request);
    const check = settings.mode === 'IMPORT' || options.force ? 'NONE' : settings.compatibility;
    const attempt = () =>
      inTransaction(this.pool, async (tx) => {
        const [locked] = await tx.execute<RowDataPacket[]>(
          'SELECT subject FROM subjects WHERE subject = ? FOR UPDATE',
          [subject],
        );
        if (locked.length === 0) return undefined;
        return this.registerLocked(tx, subject, request, parsed, settings.mode, check);
      });
    const registered = await attempt();
    if (registered) return registered;
    // First registration under this subject: create its lock row, then go again.
    await this.pool.execute('INSERT IGNORE INTO subjects (subject) VALUES (?)', [subject]);
    const retried = await attempt();
    if (!retried) throw errors.storeError();
    return retried;
  }

  /** The body of `register`, run while holding the subject's row lock. */
  private async registerLocked(
    tx: PoolConnection,
    subject: string,
    request: RegisterRequest,
    parsed: ParsedSchema,
    mode: Mode,
    level: CompatibilityLevel,
  ): Promise<{ id: number; version: number }> {
    const [found] = await tx.execute<RowDataPacket[]>(
      'SELECT id FROM stored_schemas WHERE fingerprint = ?',
      [parsed.fingerprint],
    );
    const existingId = found[0] ? Number(found[0]['id']) : undefined;
    const sameSchemaRows =
      existingId === undefined
        ? []
        : await this.versionRows(tx, subject, 'AND schema_id = ?', [existingId]);

    const live = sameSchemaRows.find((row) => !row.deleted);
    if (existingId !== undefined && live) {
      if (request.id !== undefined && request.id !== existingId) {
        throw errors.idMismatch(
          `Schema already registered with id ${existingId} instead of input id ${request.id}`,
        );
      }
      return { id: existingId, version: live.version };
    }
    if (request.id !== undefined) {
      if (existingId !== undefined && existingId !== request.id) {
        throw errors.idMismatch(
          `Schema already registered with id ${existingId} instead of input id ${request.id}`,
        );
      }
      const [taken] = await tx.execute<RowDataPacket[]>(
        'SELECT fingerprint FROM stored_schemas WHERE id = ?',
        [request.id],
      );
      if (taken[0] && !Buffer.from(taken[0]['fingerprint'] as Buffer).equals(parsed.fingerprint)) {
        throw errors.idMismatch(`Overwrite new schema with id ${request.id} is not permitted.`);
      }
    }

    if (level !== 'NONE') {
      const previous = level.endsWith('_TRANSITIVE')
        ? await this.versionRows(tx, subject, 'AND deleted = 0')
        : await this.versionRows(tx, subject, 'AND deleted = 0', [], 'DESC LIMIT 1');
      const failures = await this.failuresAgainst(level, parsed.model, previous);
      if (failures.length > 0)
        throw errors.incompatible(subject, describeFailures(failures, level));
    }

    const [maxRows] = await tx.execute<RowDataPacket[]>(
      'SELECT COALESCE(MAX(version), 0) AS max FROM subject_versions WHERE subject = ?',
      [subject],
    );
    const nextVersion = Number(maxRows[0]?.['max'] ?? 0) + 1;
    let version = nextVersion;
    if (request.version !== undefined) {
      if (mode === 'IMPORT') {
        const clash = await this.versionRows(tx, subject, 'AND version = ?', [request.version]);
        if (clash.length > 0) {
          throw errors.invalidSchema(
            `version ${request.version} already exists in subject ${subject}`,
          );
        }
        version = request.version;
      } else if (request.version !== nextVersion) {
        throw errors.invalidSchema(
          `version ${request.version} is not the next version (${nextVersion}) of subject ${subject}`,
        );
      }
    }

    const id =
      existingId ?? (await this.insertSchema(tx, parsed, request.references ?? [], request.id));
    // Re-registering a soft-deleted schema revives it under a new version; the
    // old soft-deleted version of the same id is removed, as Confluent does.
    for (const row of sameSchemaRows) {
      await tx.execute('DELETE FROM subject_versions WHERE subject = ? AND version = ?', [
        subject,
        row.version,
      ]);
    }
    await tx.execute(
      'INSERT INTO subject_versions (subject, version, schema_id) VALUES (?, ?, ?)',
      [subject, version, id],
    );
    return { id, version };
  }

  private async insertSchema(
    tx: PoolConnection,
    parsed: ParsedSchema,
    references: readonly SchemaReference[],
    explicitId?: number,
  ): Promise<number> {
    const refs = JSON.stringify(
      references.map(({ name, subject, version }) => ({ name, subject, version })),
    );
    let id: number;
    if (explicitId !== undefined) {
      await tx.execute(
        'INSERT INTO stored_schemas (id, schema_type, fingerprint, canonical, refs) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id',
        [explicitId, 'AVRO', parsed.fingerprint, parsed.canonical, refs],
      );
      id = explicitId;
    } else {
      // LAST_INSERT_ID(id) makes a concurrent duplicate return the winner's id.
      const [result] = await tx.execute<ResultSetHeader>(
        'INSERT INTO stored_schemas (schema_type, fingerprint, canonical, refs) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)',
        ['AVRO', parsed.fingerprint, parsed.canonical, refs],
      );
      id = result.insertId;
    }
    for (const [ordinal, reference] of references.entries()) {
      await tx.execute(
        'INSERT IGNORE INTO schema_references (schema_id, ordinal, name, ref_subject, ref_version) VALUES (?, ?, ?, ?, ?)',
        [id, ordinal, reference.name, reference.subject, reference.version],
      );
    }
    return id;
  }

  // ---- compatibility -----------------------------------------------------------

  /** `POST /compatibility/subjects/{s}/versions[/{v}]`. Without a version: exactly the check register would run. */
  async testCompatibility(
    subject: string,
    spec: VersionSpec | undefined,
    request: RegisterRequest,
    verbose: boolean,
  ): Promise<CompatibilityResult> {
    const parsed = await this.parse(request);
    const rows = await this.versionRows(this.pool, subject);
    const live = rows.filter((row) => !row.deleted);
    const level = (await this.effectiveSettings(this.pool, subject)).compatibility;
    let failures: CompatibilityFailure[];
    if (spec === undefined) {
      failures = await this.failuresAgainst(level, parsed.model, live);
    } else {
      if (live.length === 0 && spec === 'latest') return result([], level, verbose);
      const target = this.pick(subject, rows, spec, false);
      // One version only: transitivity does not matter, the direction does.
      const base = level.replace('_TRANSITIVE', '') as CompatibilityLevel;
      failures = await this.failuresAgainst(base, parsed.model, [target]);
    }
    return result(failures, level, verbose);
  }

  /**
   * One version at a time, newest first, stopping at the first failure. Each
   * check is bounded; between two, other requests get the event loop, so a
   * transitive check over many versions never holds it for all of them.
   */
  private async failuresAgainst(
    level: CompatibilityLevel,
    candidate: AvroType,
    live: readonly VersionRow[],
  ): Promise<CompatibilityFailure[]> {
    for (const [index, row] of compatibilityTargets(level, live).entries()) {
      if (index > 0) await turn();
      const type = await this.parsedSchema(row.schemaId);
      let failures: CompatibilityFailure[];
      try {
        failures = checkAgainst(level, candidate, { version: row.version, type }, this.bounds);
      } catch (error) {
        if (error instanceof SchemaBoundError) {
          throw errors.invalidSchema(`against version ${row.version}: ${error.message}`);
        }
        throw error;
      }
      if (failures.length > 0) return failures;
    }
    return [];
  }

  // ---- deletes ---------------------------------------------------------------

  async deleteVersion(subject: string, spec: VersionSpec, permanent: boolean): Promise<number> {
    await this.assertWritable(subject);
    return inTransaction(this.pool, async (tx) => {
      await tx.execute('SELECT subject FROM subjects WHERE subject = ? FOR UPDATE', [subject]);
      const rows = await this.versionRows(tx, subject);
      if (rows.length === 0) throw errors.subjectNotFound(subject);
      const row =
        spec === 'latest'
          ? rows.filter((r) => !r.deleted).at(-1)
          : rows.find((r) => r.version === spec);
      if (!row) {
        if (rows.every((r) => r.deleted) && spec === 'latest')
          throw errors.subjectNotFound(subject);
        throw errors.versionNotFound(spec === 'latest' ? 'latest' : spec);
      }
      if (!permanent) {
        if (row.deleted) throw errors.versionSoftDeleted(subject, row.version);
        await this.assertNotReferenced(tx, subject, [row.version]);
        await tx.execute(
          'UPDATE subject_versions SET deleted = 1 WHERE subject = ? AND version = ?',
          [subject, row.version],
        );
        return row.version;
      }
      if (!row.deleted) throw errors.versionNotSoftDeleted(subject, row.version);
      await this.assertNotReferenced(tx, subject, [row.version]);
      await tx.execute('DELETE FROM subject_versions WHERE subject = ? AND version = ?', [
        subject,
        row.version,
      ]);
      if (rows.length === 1) await tx.execute('DELETE FROM settings WHERE scope = ?', [subject]);
      return row.version;
    });
  }

  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    await this.assertWritable(subject);
    return inTransaction(this.pool, async (tx) => {
      await tx.execute('SELECT subject FROM subjects WHERE subject = ? FOR UPDATE', [subject]);
      const rows = await this.versionRows(tx, subject);
      if (rows.length === 0) throw errors.subjectNotFound(subject);
      const live = rows.filter((row) => !row.deleted);
      if (!permanent) {
        if (live.length === 0) throw errors.subjectSoftDeleted(subject);
        await this.assertNotReferenced(
          tx,
          subject,
          live.map((row) => row.version),
        );
        await tx.execute('UPDATE subject_versions SET deleted = 1 WHERE subject = ?', [subject]);
        return live.map((row) => row.version);
      }
      if (live.length > 0) throw errors.subjectNotSoftDeleted(subject);
      await this.assertNotReferenced(
        tx,
        subject,
        rows.map((row) => row.version),
      );
      await tx.execute('DELETE FROM subject_versions WHERE subject = ?', [subject]);
      await tx.execute('DELETE FROM settings WHERE scope = ?', [subject]);
      return rows.map((row) => row.version);
    });
  }

  private async assertNotReferenced(
    tx: PoolConnection,
    subject: string,
    versions: readonly number[],
  ): Promise<void> {
    if (versions.length === 0) return;
    const [rows] = await tx.query<RowDataPacket[]>(
      `SELECT r.schema_id FROM schema_references r
         JOIN subject_versions v ON v.schema_id = r.schema_id AND v.deleted = 0
        WHERE r.ref_subject = ? AND r.ref_version IN (?) LIMIT 1`,
      [subject, versions],
    );
    if (rows[0])
      throw errors.referenceExists(`${subject} (referenced by schema ${rows[0]['schema_id']})`);
  }

  private async assertWritable(subject: string): Promise<void> {
    const { mode } = await this.effectiveSettings(this.pool, subject);
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE')
      throw errors.notPermitted(`Subject ${subject} is in read-only mode`);
  }

  // ---- config and mode ---------------------------------------------------------

  async getCompatibility(
    subject: string | undefined,
    defaultToGlobal: boolean,
  ): Promise<CompatibilityLevel> {
    const own = await this.setting(this.pool, subject ?? GLOBAL, 'compatibility');
    if (own && isCompatibilityLevel(own)) return own;
    if (subject !== undefined && !defaultToGlobal) throw errors.compatibilityNotConfigured(subject);
    const global = await this.setting(this.pool, GLOBAL, 'compatibility');
    return global && isCompatibilityLevel(global) ? global : DEFAULT_COMPATIBILITY;
  }

  async setCompatibility(subject: string | undefined, level: string): Promise<CompatibilityLevel> {
    if (subject !== undefined) validateSubject(subject);
    const upper = level.toUpperCase();
    if (!isCompatibilityLevel(upper)) throw errors.invalidCompatibility(level);
    await this.putSetting(subject ?? GLOBAL, 'compatibility', upper);
    return upper;
  }

  async deleteCompatibility(subject: string | undefined): Promise<CompatibilityLevel> {
    const previous = await this.setting(this.pool, subject ?? GLOBAL, 'compatibility');
    if (subject !== undefined && !previous) throw errors.subjectNotFound(subject);
    await this.putSetting(subject ?? GLOBAL, 'compatibility', null);
    return previous && isCompatibilityLevel(previous) ? previous : DEFAULT_COMPATIBILITY;
  }

  async getMode(subject: string | undefined, defaultToGlobal: boolean): Promise<Mode> {
    const own = await this.setting(this.pool, subject ?? GLOBAL, 'mode');
    if (own && isMode(own)) return own;
    if (subject !== undefined && !defaultToGlobal) throw errors.modeNotConfigured(subject);
    const global = await this.setting(this.pool, GLOBAL, 'mode');
    return global && isMode(global) ? global : DEFAULT_MODE;
  }

  async setMode(subject: string | undefined, mode: string, force: boolean): Promise<Mode> {
    if (subject !== undefined) validateSubject(subject);
    const upper = mode.toUpperCase();
    if (!isMode(upper)) throw errors.invalidMode(mode);
    if (upper === 'IMPORT' && !force) {
      const [rows] = await this.pool.execute<RowDataPacket[]>(
        subject === undefined
          ? 'SELECT 1 FROM subject_versions LIMIT 1'
          : 'SELECT 1 FROM subject_versions WHERE subject = ? LIMIT 1',
        subject === undefined ? [] : [subject],
      );
      if (rows.length > 0) {
        throw errors.notPermitted(
          subject === undefined
            ? 'Cannot import since found existing subjects'
            : `Cannot import since subject ${subject} has versions`,
        );
      }
    }
    await this.putSetting(subject ?? GLOBAL, 'mode', upper);
    return upper;
  }

  async deleteMode(subject: string): Promise<Mode> {
    const previous = await this.setting(this.pool, subject, 'mode');
    if (!previous) throw errors.subjectNotFound(subject);
    await this.putSetting(subject, 'mode', null);
    return isMode(previous) ? previous : DEFAULT_MODE;
  }

  // ---- helpers ---------------------------------------------------------------

  /** The subject's own mode and level, else the global ones, else READWRITE and BACKWARD. */
  private async effectiveSettings(
    db: Pool | PoolConnection,
    subject: string,
  ): Promise<{ mode: Mode; compatibility: CompatibilityLevel }> {
    const [rows] = await db.execute<RowDataPacket[]>(
      'SELECT scope, compatibility, mode FROM settings WHERE scope IN (?, ?)',
      [subject, GLOBAL],
    );
    const pick = (column: string): unknown =>
      rows.find((row) => row['scope'] === subject && row[column])?.[column] ??
      rows.find((row) => row['scope'] === GLOBAL && row[column])?.[column];
    const mode = pick('mode');
    const compatibility = pick('compatibility');
    return {
      mode: isMode(mode) ? mode : DEFAULT_MODE,
      compatibility: isCompatibilityLevel(compatibility) ? compatibility : DEFAULT_COMPATIBILITY,
    };
  }

  private async setting(
    db: Pool | PoolConnection,
    scope: string,
    column: 'compatibility' | 'mode',
  ): Promise<string | undefined> {
    const [rows] = await db.execute<RowDataPacket[]>(
      `SELECT ${column} AS value FROM settings WHERE scope = ?`,
      [scope],
    );
    const value = rows[0]?.['value'];
    return typeof value === 'string' ? value : undefined;
  }

  private async putSetting(
    scope: string,
    column: 'compatibility' | 'mode',
    value: string | null,
  ): Promise<void> {
    await this.pool.execute(
      `INSERT INTO settings (scope, ${column}) VALUES (?, ?) ON DUPLICATE KEY UPDATE ${column} = VALUES(${column})`,
      [scope, value],
    );
  }

  private async versionRows(
    db: Pool | PoolConnection,
    subject: string,
    filter = '',
    parameters: readonly (string | number)[] = [],
    order = 'ASC',
  ): Promise<VersionRow[]> {
    const [rows] = await db.execute<RowDataPacket[]>(
      `SELECT version, schema_id, deleted FROM subject_versions WHERE subject = ? ${filter} ORDER BY version ${order}`,
      [subject, ...parameters],
    );
    return rows.map((row) => ({
      version: Number(row['version']),
      schemaId: Number(row['schema_id']),
      deleted: Boolean(row['deleted']),
    }));
  }

  private pick(
    subject: string,
    rows: readonly VersionRow[],
    spec: VersionSpec,
    includeDeleted: boolean,
  ): VersionRow {
    const visible = includeDeleted ? rows : rows.filter((row) => !row.deleted);
    if (visible.length === 0) throw errors.subjectNotFound(subject);
    const row = spec === 'latest' ? visible.at(-1) : visible.find((r) => r.version === spec);
    if (!row) throw errors.versionNotFound(spec);
    return row;
  }

  private async parse(request: RegisterRequest): Promise<ParsedSchema> {
    const type = request.schemaType ?? 'AVRO';
    if (type !== 'AVRO' && type !== '') throw errors.invalidSchemaType(type);
    if (typeof request.schema !== 'string' || request.schema.length === 0) {
      throw errors.emptySchema();
    }
    if (request.schema.length > this.bounds.maxLength)
      throw errors.schemaTooLarge(this.bounds.maxLength);
    const references = await this.resolveReferences(
      request.references ?? [],
      new Resolution(this.bounds.maxReferences),
    );
    try {
      return parseAvroSchema(request.schema, references, this.bounds);
    } catch (error) {
      if (error instanceof SchemaBoundError && error.bound === 'maxLength')
        throw errors.schemaTooLarge(error.limit);
      if (error instanceof InvalidSchemaError) throw errors.invalidSchema(error.message);
      throw error;
    }
  }

  /**
   * Resolves references depth first, each distinct subject version once: a
   * schema version referenced along many paths (a diamond of references
   * repeated level after level) is fetched once, not once per path.
   */
  private async resolveReferences(
    references: readonly SchemaReference[],
    resolution: Resolution,
  ): Promise<ResolvedReference[]> {
    if (resolution.path.length > 32) {
      throw errors.invalidSchema('references nest deeper than 32 levels');
    }
    const resolved: ResolvedReference[] = [];
    for (const reference of references) {
      if (
        !reference ||
        typeof reference.name !== 'string' ||
        typeof reference.subject !== 'string' ||
        !Number.isInteger(reference.version)
      ) {
        throw errors.invalidSchema('a reference needs a name, a subject and an integer version');
      }
      const key = `${reference.version}:${reference.subject}`;
      if (resolution.path.includes(key)) {
        throw errors.invalidSchema(
          `reference ${reference.name}: subject ${reference.subject} version ${reference.version} refers back to itself`,
        );
      }
      let target = resolution.done.get(key);
      if (!target) {
        if (resolution.done.size >= resolution.limit) {
          throw errors.invalidSchema(
            `more than the limit of ${resolution.limit} referenced schemas (references of references included)`,
          );
        }
        let version: SubjectVersion;
        try {
          version = await this.getVersion(
            reference.subject,
            reference.version === -1 ? 'latest' : reference.version,
            true,
          );
        } catch {
          throw errors.invalidSchema(
            `reference ${reference.name}: subject ${reference.subject} version ${reference.version} not found`,
          );
        }
        resolution.path.push(key);
        const inner = await this.resolveReferences(version.references, resolution);
        resolution.path.pop();
        target = { version: version.version, schema: version.schema, references: inner };
        resolution.done.set(key, target);
      }
      resolved.push({ name: reference.name, subject: reference.subject, ...target });
    }
    return resolved;
  }

  private async parsedSchema(id: number): Promise<AvroType> {
    const cached = this.parsedById.get(id);
    if (cached) return cached;
    const stored = await this.schemaById(id);
    const references = await this.resolveReferences(
      stored.references,
      new Resolution(Number.POSITIVE_INFINITY),
    );
    const { model } = parseAvroSchema(stored.schema, references, this.storedBounds);
    this.parsedById.set(id, model);
    return model;
  }
}

/** The references met while resolving one schema's. */
class Resolution {
  readonly done = new Map<
    string,
    { version: number; schema: string; references: ResolvedReference[] }
  >();
  /** `version:subject` keys from the schema down to the reference being resolved. */
  readonly path: string[] = [];

  constructor(readonly limit: number) {}
}

function result(
  failures: readonly CompatibilityFailure[],
  level: CompatibilityLevel,
  verbose: boolean,
): CompatibilityResult {
  const compatible = failures.length === 0;
  return verbose
    ? { is_compatible: compatible, messages: describeFailures(failures, level) }
    : { is_compatible: compatible };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validateSubject(subject: string): void {
  if (
    subject.length === 0 ||
    subject.length > 255 ||
    CONTROL.test(subject) ||
    subject === '__GLOBAL' ||
    subject === '__EMPTY'
  ) {
    throw errors.invalidSubject(subject);
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}
