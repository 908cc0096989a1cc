import { SchemaBoundError, type SchemaBounds } from '../avro/schema-bounds';
import { schemaTextOf } from '../avro/schema-text';
import { registryErrors as errors } from '../registry/errors';
import {
  MAX_VERSION,
  type RegisterRequest,
  type SchemaReference,
  type VersionSpec,
} from '../registry/types';
import { httpErrors } from './registry-errors';

export type Query = Record<string, string | string[] | undefined>;

/** Confluent clients send `?deleted=true`; anything but `true` is false. */
export function flag(query: Query, name: string): boolean {
  const value = query[name];
  const last = Array.isArray(value) ? value.at(-1) : value;
  return typeof last === 'string' && last.toLowerCase() === 'true';
}

export function text(query: Query, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value.at(-1) : value;
}

export function parseVersion(raw: string): VersionSpec {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (/^[0-9]{1,10}$/.test(raw)) {
    const version = Number(raw);
    if (version >= 1 && version <= MAX_VERSION) return version;
  }
  throw httpErrors.invalidVersion(raw);
}

export function parseId(raw: string): number {
  if (/^[0-9]{1,10}$/.test(raw) && Number(raw) <= MAX_VERSION) return Number(raw);
  throw errors.schemaIdNotFound(raw);
}

/**
 * The body of register, lookup and compatibility requests. Unknown fields
 * (`metadata`, `ruleSet`, anything newer clients send) are ignored.
 */
export function registerRequest(body: unknown, bounds: SchemaBounds): RegisterRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw errors.emptySchema();
  const object = body as Record<string, unknown>;
  const schema =
    typeof object['schema'] === 'string'
      ? object['schema']
      : object['schema'] === undefined
        ? ''
        : schemaText(object['schema'], bounds);
  if (schema.length === 0) throw errors.emptySchema();
  const schemaType = object['schemaType'];
  if (schemaType !== undefined && schemaType !== null && typeof schemaType !== 'string') {
    throw errors.invalidSchemaType(String(schemaType));
  }
  const references = object['references'];
  if (references !== undefined && references !== null && !Array.isArray(references)) {
    throw errors.invalidSchema('references must be an array');
  }
  const id = object['id'];
  const version = object['version'];
  if (id !== undefined && id !== null && (!Number.isInteger(id) || (id as number) < 1)) {
    throw httpErrors.unprocessable('id must be a positive integer');
  }
  if (
    version !== undefined &&
    version !== null &&
    (!Number.isInteger(version) || (version as number) < 1)
  ) {
    throw httpErrors.unprocessable('version must be a positive integer');
  }
  return {
    schema,
    schemaType: typeof schemaType === 'string' ? schemaType.toUpperCase() : undefined,
    references: (references as SchemaReference[] | undefined) ?? undefined,
    id: typeof id === 'number' ? id : undefined,
    version: typeof version === 'number' ? version : undefined,
  };
}

/** A schema sent as JSON rather than as a string: serialized, unless it nests too deep to. */
function schemaText(schema: unknown, bounds: SchemaBounds): string {
  try {
    return schemaTextOf(schema, bounds.maxDepth);
  } catch (error) {
    if (error instanceof SchemaBoundError) throw errors.invalidSchema(error.message);
    throw error;
  }
}

export function requiredString(body: unknown, field: string): string {
  const value =
    body !== null && typeof body === 'object'
      ? (body as Record<string, unknown>)[field]
      : undefined;
  if (typeof value !== 'string') throw httpErrors.unprocessable(`"${field}" must be a string`);
  return value;
}
