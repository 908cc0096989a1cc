import { createHash } from 'node:crypto';
import { Type } from 'avsc';
import {
  DEFAULT_SCHEMA_BOUNDS,
  InvalidSchemaError,
  SchemaBoundError,
  type SchemaBounds,
} from './schema-bounds';
import { SchemaReader, type AvroType } from './schema-reader';
import { canonicalText } from './schema-text';

export { InvalidSchemaError, SchemaBoundError } from './schema-bounds';

export interface SchemaReference {
  /** The fully qualified name of the type the reference brings in. */
  name: string;
  subject: string;
  version: number;
}

/** A reference with the referenced schema's own text and references, resolved recursively. */
export interface ResolvedReference extends SchemaReference {
  schema: string;
  references: readonly ResolvedReference[];
}

export interface ParsedSchema {
  /** The type graph compatibility checks walk. */
  model: AvroType;
  /** Normalized text: what is stored, returned and compared. */
  canonical: string;
  /** sha256 over type, canonical text and references: the identity that decides the id. */
  fingerprint: Buffer;
  /** An avsc codec for the schema, built on first use: the registry itself never needs one. */
  readonly type: Type;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A bare name such as `string` is valid Avro schema text too.
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(text.trim())) return text.trim();
    throw new InvalidSchemaError('schema is not valid JSON');
  }
}

function within(reference: ResolvedReference, error: unknown): unknown {
  const where = `reference ${reference.name} (${reference.subject} version ${reference.version})`;
  if (error instanceof SchemaBoundError) {
    return new SchemaBoundError(error.bound, error.limit, `${where}: ${error.message}`);
  }
  if (error instanceof InvalidSchemaError)
    return new InvalidSchemaError(`${where}: ${error.message}`);
  return error;
}

function register(reference: ResolvedReference, reader: SchemaReader, seen: Set<string>): void {
  if (seen.has(reference.name) || reader.has(reference.name)) return;
  seen.add(reference.name);
  for (const inner of reference.references) register(inner, reader, seen);
  try {
    reader.read(parseJson(reference.schema));
  } catch (error) {
    throw within(reference, error);
  }
}

/** avsc's view of the same schema, its references' named types registered first. */
function avscType(json: unknown, references: readonly ResolvedReference[]): Type {
  const registry: Record<string, Type> = {};
  const seen = new Set<string>();
  const add = (reference: ResolvedReference): void => {
    if (seen.has(reference.name) || registry[reference.name]) return;
    seen.add(reference.name);
    for (const inner of reference.references) add(inner);
    Type.forSchema(parseJson(reference.schema) as never, { registry, noAnonymousTypes: true });
  };
  try {
    for (const reference of references) add(reference);
    return Type.forSchema(json as never, { registry, noAnonymousTypes: true });
  } catch (error) {
    throw new InvalidSchemaError((error as Error).message);
  }
}

/**
 * Parses and validates Avro schema text (with its references' named types
 * read first): unknown types, bad names and defaults that do not match their
 * type are errors, as in Confluent with default validation on; so is a
 * schema over one of `bounds` (`SchemaBoundError`).
 */
export function parseAvroSchema(
  text: string,
  references: readonly ResolvedReference[] = [],
  bounds: SchemaBounds = DEFAULT_SCHEMA_BOUNDS,
): ParsedSchema {
  if (text.length > bounds.maxLength) {
    throw new SchemaBoundError(
      'maxLength',
      bounds.maxLength,
      `the schema is longer than the limit of ${bounds.maxLength} characters`,
    );
  }
  const json = parseJson(text);
  const reader = new SchemaReader(bounds);
  const seen = new Set<string>();
  for (const reference of references) register(reference, reader, seen);
  const model = reader.read(json);
  const canonical = canonicalText(json);
  const refs = references.map(({ name, subject, version }) => ({ name, subject, version }));
  const fingerprint = createHash('sha256')
    .update(`AVRO\n${canonical}\n${JSON.stringify(refs)}`)
    .digest();
  let codec: Type | undefined;
  return {
    model,
    canonical,
    fingerprint,
    get type() {
      codec ??= avscType(json, references);
      return codec;
    },
  };
}
