import { createHash } from 'node:crypto';
import { Type } from 'avsc';
import { canonicalText } from './schema-text';

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
  type: Type;
  /** Normalized text: what is stored, returned and compared. */
  canonical: string;
  /** sha256 over type, canonical text and references: the identity that decides the id. */
  fingerprint: Buffer;
}

export class InvalidSchemaError extends Error {
  override readonly name = 'InvalidSchemaError';
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

function register(
  reference: ResolvedReference,
  registry: Record<string, Type>,
  seen: Set<string>,
): void {
  if (seen.has(reference.name) || registry[reference.name]) return;
  seen.add(reference.name);
  for (const inner of reference.references) register(inner, registry, seen);
  try {
    Type.forSchema(parseJson(reference.schema) as never, { registry, noAnonymousTypes: true });
  } catch (error) {
    throw new InvalidSchemaError(
      `reference ${reference.name} (${reference.subject} version ${reference.version}): ${(error as Error).message}`,
    );
  }
}

/**
 * Parses and validates Avro schema text (with its references' named types
 * pre-registered): unknown types, bad names and defaults that do not match
 * their type are errors, as in Confluent with default validation on.
 */
export function parseAvroSchema(
  text: string,
  references: readonly ResolvedReference[] = [],
): ParsedSchema {
  const json = parseJson(text);
  const registry: Record<string, Type> = {};
  const seen = new Set<string>();
  for (const reference of references) register(reference, registry, seen);
  let type: Type;
  try {
    type = Type.forSchema(json as never, { registry, noAnonymousTypes: true });
  } catch (error) {
    if (error instanceof InvalidSchemaError) throw error;
    throw new InvalidSchemaError((error as Error).message);
  }
  const canonical = canonicalText(json);
  const refs = references.map(({ name, subject, version }) => ({ name, subject, version }));
  const fingerprint = createHash('sha256')
    .update(`AVRO\n${canonical}\n${JSON.stringify(refs)}`)
    .digest();
  return { type, canonical, fingerprint };
}
