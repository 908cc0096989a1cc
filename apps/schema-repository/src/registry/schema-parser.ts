import { LruCache } from '@wail/runtime';
import {
  InvalidSchemaError,
  SchemaBoundError,
  parseAvroSchema,
  type ParsedSchema,
  type ResolvedReference,
} from '../avro/parse';
import type { SchemaBounds } from '../avro/schema-bounds';
import type { AvroType } from '../avro/schema-reader';
import { registryErrors as errors } from './errors';
import type {
  RegisterRequest,
  SchemaReference,
  StoredSchema,
  SubjectVersion,
  VersionSpec,
} from './types';

/** Where references point: the registry's own reads. */
export interface SchemaSource {
  schemaById(id: number): Promise<StoredSchema>;
  getVersion(subject: string, spec: VersionSpec, includeDeleted: boolean): Promise<SubjectVersion>;
}

/**
 * Schemas with their references resolved: a request's (within `bounds`, every
 * refusal a registry error) and a stored one's by id (trusted: only
 * `storedBounds`; immutable, so cached and never invalidated).
 */
export class SchemaParser {
  private readonly models: LruCache<number, AvroType>;

  constructor(
    private readonly source: SchemaSource,
    private readonly bounds: Readonly<SchemaBounds>,
    private readonly storedBounds: Readonly<SchemaBounds>,
    cacheSize: number,
  ) {
    this.models = new LruCache(cacheSize);
  }

  async parse(request: RegisterRequest): Promise<ParsedSchema> {
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

  async modelById(id: number): Promise<AvroType> {
    const cached = this.models.get(id);
    if (cached) return cached;
    const stored = await this.source.schemaById(id);
    const references = await this.resolveReferences(
      stored.references,
      new Resolution(Number.POSITIVE_INFINITY),
    );
    const { model } = parseAvroSchema(stored.schema, references, this.storedBounds);
    this.models.set(id, model);
    return model;
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
          version = await this.source.getVersion(
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
