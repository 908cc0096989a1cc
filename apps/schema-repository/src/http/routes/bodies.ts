import type { StoredSchema, SubjectVersion } from '../../registry/types';

/** Pre-8.0 shapes: `schemaType` omitted for Avro, `references` only when there are some. */
export function schemaBody(schema: StoredSchema): Record<string, unknown> {
  return schema.references.length > 0
    ? { schema: schema.schema, references: schema.references }
    : { schema: schema.schema };
}

export function versionBody(version: SubjectVersion): Record<string, unknown> {
  return {
    subject: version.subject,
    version: version.version,
    id: version.id,
    ...schemaBody(version),
  };
}
