import { setImmediate as turn } from 'node:timers/promises';
import type { Pool } from 'mysql2/promise';
import { LruCache } from '@wail/runtime';
import { Counter, Gauge, type Registry } from '@wail/telemetry';
import {
  checkAgainst,
  compatibilityTargets,
  describeFailures,
  type CompatibilityFailure,
  type CompatibilityLevel,
} from '../avro/compatibility';
import { SchemaBoundError, type ParsedSchema } from '../avro/parse';
import {
  DEFAULT_SCHEMA_BOUNDS,
  STORED_SCHEMA_BOUNDS,
  type SchemaBounds,
} from '../avro/schema-bounds';
import type { AvroType } from '../avro/schema-reader';
import type { Stores } from '../storage/stores';
import { registryErrors as errors } from './errors';
import { SchemaParser } from './schema-parser';
import type { SchemaStore, VersionRow } from './schema-store';
import { registryStores, type RegistryStores } from './stores';
import { validateSubject } from './subject-name';
import { SubjectSettings } from './subject-settings';
import type {
  CompatibilityResult,
  Mode,
  RegisterRequest,
  StoredSchema,
  SubjectVersion,
  VersionSpec,
} from './types';

export interface SchemaRegistryOptions {
  /** What a schema sent to register, look up or check may cost (stored ones are trusted). */
  bounds?: Partial<SchemaBounds>;
  /** Schemas kept in memory by id (immutable, so never invalidated). */
  cacheSize?: number;
  /** Where the cache's hits, misses and size are exported. */
  metrics?: Registry;
}

/**
 * The Confluent Schema Registry semantics over MySQL. Every replica reads and
 * writes the same database, so any number of them can serve behind a load
 * balancer; only immutable data (schema text by id, parsed schemas) is cached.
 */
export class SchemaRegistry {
  /** Compatibility levels and modes (`/config`, `/mode`). */
  readonly settings: SubjectSettings;
  readonly bounds: Readonly<SchemaBounds>;
  private readonly stores: Stores<RegistryStores>;
  private readonly schemas: SchemaStore;
  private readonly byId: LruCache<number, StoredSchema>;
  private readonly parser: SchemaParser;
  private readonly lookups: Counter<'result'> | undefined;

  constructor(pool: Pool, options: SchemaRegistryOptions = {}) {
    const cacheSize = options.cacheSize ?? 100_000;
    this.stores = registryStores(pool);
    this.schemas = this.stores.autocommit.schemas;
    this.settings = new SubjectSettings(this.stores);
    this.byId = new LruCache(cacheSize);
    if (options.metrics) {
      const byId = this.byId;
      this.lookups = new Counter({
        name: 'wail_repository_schema_cache_lookups_total',
        help: 'schema-by-id lookups by result: hit (answered from memory) or miss (read from MySQL)',
        labelNames: ['result'],
        registers: [options.metrics],
      });
      new Gauge({
        name: 'wail_repository_schema_cache_entries',
        help: 'schemas held in memory by id',
        registers: [options.metrics],
        collect() {
          this.set(byId.size);
        },
      });
    }
    this.bounds = Object.freeze({ ...DEFAULT_SCHEMA_BOUNDS, ...options.bounds });
    const storedBounds = Object.freeze({
      ...STORED_SCHEMA_BOUNDS,
      maxComparisons: this.bounds.maxComparisons,
    });
    this.parser = new SchemaParser(
      this,
      this.bounds,
      storedBounds,
      Math.max(1000, Math.floor(cacheSize / 10)),
    );
  }

  // ---- reads ---------------------------------------------------------------

  async schemaById(id: number): Promise<StoredSchema> {
    const cached = this.byId.get(id);
    this.lookups?.inc({ result: cached ? 'hit' : 'miss' });
    if (cached) return cached;
    const schema = await this.schemas.schemaById(id);
    if (!schema) throw errors.schemaIdNotFound(id);
    this.byId.set(id, schema);
    return schema;
  }

  async subjectVersionsForId(
    id: number,
    includeDeleted: boolean,
  ): Promise<{ subject: string; version: number }[]> {
    await this.schemaById(id);
    return this.schemas.subjectVersionsForId(id, includeDeleted);
  }

  async listSubjects(options: {
    deleted?: boolean;
    deletedOnly?: boolean;
    prefix?: string;
  }): Promise<string[]> {
    const which = options.deletedOnly ? 'deletedOnly' : options.deleted ? 'all' : 'live';
    return this.schemas.subjects(options.prefix ?? '', which);
  }

  async listVersions(
    subject: string,
    options: { deleted?: boolean; deletedOnly?: boolean },
  ): Promise<number[]> {
    const rows = await this.schemas.versions(subject);
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
    const row = pick(subject, await this.schemas.versions(subject), spec, includeDeleted);
    return { subject, version: row.version, ...(await this.schemaById(row.schemaId)) };
  }

  async referencedBy(subject: string, spec: VersionSpec): Promise<number[]> {
    const row = pick(subject, await this.schemas.versions(subject), spec, true);
    return this.schemas.referencingSchemaIds(subject, row.version);
  }

  async listSchemas(options: {
    prefix?: string;
    deleted?: boolean;
    latestOnly?: boolean;
  }): Promise<SubjectVersion[]> {
    let picked = await this.schemas.versionsByPrefix(options.prefix ?? '', !!options.deleted);
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
    const rows = await this.schemas.versions(subject);
    const visible = includeDeleted ? rows : rows.filter((row) => !row.deleted);
    if (visible.length === 0) throw errors.subjectNotFound(subject);
    const parsed = await this.parser.parse(request);
    const id = await this.schemas.idByFingerprint(parsed.fingerprint);
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
    const settings = await this.settings.effective(subject);
    if (settings.mode === 'READONLY' || settings.mode === 'READONLY_OVERRIDE') {
      throw errors.notPermitted(`Subject ${subject} is in read-only mode`);
    }
    if (request.id !== undefined && settings.mode !== 'IMPORT') {
      throw errors.notPermitted(`Subject ${subject} is not in import mode`);
    }
    const parsed = await this.parser.parse(request);
    const check = settings.mode === 'IMPORT' || options.force ? 'NONE' : settings.compatibility;
    const attempt = () =>
      this.stores.transaction(async (tx) => {
        if (!(await tx.schemas.lockSubject(subject))) return undefined;
        return this.registerLocked(tx.schemas, subject, request, parsed, settings.mode, check);
      });
    const registered = await attempt();
    if (registered) return registered;
    // First registration under this subject: create its lock row, then go again.
    await this.schemas.createSubject(subject);
    const retried = await attempt();
    if (!retried) throw errors.storeError();
    return retried;
  }

  /** The body of `register`, run while holding the subject's row lock. */
  private async registerLocked(
    schemas: SchemaStore,
    subject: string,
    request: RegisterRequest,
    parsed: ParsedSchema,
    mode: Mode,
    level: CompatibilityLevel,
  ): Promise<{ id: number; version: number }> {
    const existingId = await schemas.idByFingerprint(parsed.fingerprint);
    const sameSchemaRows =
      existingId === undefined ? [] : await schemas.versions(subject, { schemaId: existingId });

    const live = sameSchemaRows.find((row) => !row.deleted);
    if (existingId !== undefined && live) {
      if (request.id !== undefined && request.id !== existingId) {
        throw errors.idMismatch(
          `Schema already registered with id ${existingId} instead of input id ${request.id}`,
        );
      }
      return { id: existingId, version: live.version };
    }
    if (request.id !== undefined) await assertIdFree(schemas, request.id, existingId, parsed);
    if (level !== 'NONE') await this.assertCompatible(schemas, subject, parsed.model, level);
    const version = await nextVersion(schemas, subject, request.version, mode);
    const id =
      existingId ?? (await schemas.insertSchema(parsed, request.references ?? [], request.id));
    // Re-registering a soft-deleted schema revives it under a new version; the
    // old soft-deleted version of the same id is removed, as Confluent does.
    for (const row of sameSchemaRows) await schemas.deleteVersion(subject, row.version);
    await schemas.insertVersion(subject, version, id);
    return { id, version };
  }

  private async assertCompatible(
    schemas: SchemaStore,
    subject: string,
    candidate: AvroType,
    level: CompatibilityLevel,
  ): Promise<void> {
    const previous = await schemas.versions(subject, {
      liveOnly: true,
      newestOnly: !level.endsWith('_TRANSITIVE'),
    });
    const failures = await this.failuresAgainst(level, candidate, previous);
    if (failures.length > 0) throw errors.incompatible(subject, describeFailures(failures, level));
  }

  // ---- compatibility -----------------------------------------------------------

  /** `POST /compatibility/subjects/{s}/versions[/{v}]`. Without a version: exactly the check register would run. */
  async testCompatibility(
    subject: string,
    spec: VersionSpec | undefined,
    request: RegisterRequest,
    verbose: boolean,
  ): Promise<CompatibilityResult> {
    const parsed = await this.parser.parse(request);
    const rows = await this.schemas.versions(subject);
    const live = rows.filter((row) => !row.deleted);
    const level = (await this.settings.effective(subject)).compatibility;
    let failures: CompatibilityFailure[];
    if (spec === undefined) {
      failures = await this.failuresAgainst(level, parsed.model, live);
    } else {
      if (live.length === 0 && spec === 'latest') return result([], level, verbose);
      const target = pick(subject, rows, spec, false);
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
      const type = await this.parser.modelById(row.schemaId);
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
    return this.stores.transaction(async ({ schemas, settings }) => {
      await schemas.lockSubject(subject);
      const rows = await schemas.versions(subject);
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
        await assertNotReferenced(schemas, subject, [row.version]);
        await schemas.softDeleteVersion(subject, row.version);
        return row.version;
      }
      if (!row.deleted) throw errors.versionNotSoftDeleted(subject, row.version);
      await assertNotReferenced(schemas, subject, [row.version]);
      await schemas.deleteVersion(subject, row.version);
      if (rows.length === 1) await settings.remove(subject);
      return row.version;
    });
  }

  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    await this.assertWritable(subject);
    return this.stores.transaction(async ({ schemas, settings }) => {
      await schemas.lockSubject(subject);
      const rows = await schemas.versions(subject);
      if (rows.length === 0) throw errors.subjectNotFound(subject);
      const live = rows.filter((row) => !row.deleted);
      if (!permanent) {
        if (live.length === 0) throw errors.subjectSoftDeleted(subject);
        await assertNotReferenced(
          schemas,
          subject,
          live.map((row) => row.version),
        );
        await schemas.softDeleteSubject(subject);
        return live.map((row) => row.version);
      }
      if (live.length > 0) throw errors.subjectNotSoftDeleted(subject);
      await assertNotReferenced(
        schemas,
        subject,
        rows.map((row) => row.version),
      );
      await schemas.deleteSubject(subject);
      await settings.remove(subject);
      return rows.map((row) => row.version);
    });
  }

  private async assertWritable(subject: string): Promise<void> {
    const { mode } = await this.settings.effective(subject);
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE')
      throw errors.notPermitted(`Subject ${subject} is in read-only mode`);
  }
}

/** IMPORT with an explicit id: the id is this schema's, or nobody's yet. */
async function assertIdFree(
  schemas: SchemaStore,
  id: number,
  existingId: number | undefined,
  parsed: ParsedSchema,
): Promise<void> {
  if (existingId !== undefined && existingId !== id) {
    throw errors.idMismatch(
      `Schema already registered with id ${existingId} instead of input id ${id}`,
    );
  }
  const taken = await schemas.fingerprintById(id);
  if (taken && !taken.equals(parsed.fingerprint)) {
    throw errors.idMismatch(`Overwrite new schema with id ${id} is not permitted.`);
  }
}

/** The version a registration gets: the next one, or in IMPORT mode the one asked for if free. */
async function nextVersion(
  schemas: SchemaStore,
  subject: string,
  requested: number | undefined,
  mode: Mode,
): Promise<number> {
  const next = (await schemas.maxVersion(subject)) + 1;
  if (requested === undefined) return next;
  if (mode === 'IMPORT') {
    if ((await schemas.versions(subject, { version: requested })).length > 0) {
      throw errors.invalidSchema(`version ${requested} already exists in subject ${subject}`);
    }
    return requested;
  }
  if (requested !== next) {
    throw errors.invalidSchema(
      `version ${requested} is not the next version (${next}) of subject ${subject}`,
    );
  }
  return next;
}

async function assertNotReferenced(
  schemas: SchemaStore,
  subject: string,
  versions: readonly number[],
): Promise<void> {
  const referrer = await schemas.liveReferrer(subject, versions);
  if (referrer !== undefined)
    throw errors.referenceExists(`${subject} (referenced by schema ${referrer})`);
}

function pick(
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
