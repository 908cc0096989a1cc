/**
 * What the registry refuses, by stable name. The messages are Confluent's
 * where clients assert on them (`Subject 'x' not found.`, `Schema not found`);
 * the HTTP layer gives each name its Confluent `error_code`
 * (`http/registry-errors.ts`).
 */
export type RegistryErrorCode =
  | 'SUBJECT_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  | 'SCHEMA_NOT_FOUND'
  | 'SUBJECT_SOFT_DELETED'
  | 'SUBJECT_NOT_SOFT_DELETED'
  | 'VERSION_SOFT_DELETED'
  | 'VERSION_NOT_SOFT_DELETED'
  | 'SUBJECT_COMPATIBILITY_NOT_CONFIGURED'
  | 'SUBJECT_MODE_NOT_CONFIGURED'
  | 'INCOMPATIBLE_SCHEMA'
  | 'INVALID_SCHEMA'
  | 'INVALID_COMPATIBILITY_LEVEL'
  | 'INVALID_MODE'
  | 'OPERATION_NOT_PERMITTED'
  | 'REFERENCE_EXISTS'
  | 'ID_DOES_NOT_MATCH'
  | 'INVALID_SUBJECT'
  | 'SCHEMA_TOO_LARGE'
  | 'STORE_ERROR';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';

  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const registryErrors = {
  subjectNotFound: (subject: string) =>
    new RegistryError('SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) =>
    new RegistryError('VERSION_NOT_FOUND', `Version ${version} not found.`),
  schemaIdNotFound: (id: number | string) =>
    new RegistryError('SCHEMA_NOT_FOUND', `Schema ${id} not found`),
  schemaNotFound: () => new RegistryError('SCHEMA_NOT_FOUND', 'Schema not found'),
  subjectSoftDeleted: (subject: string) =>
    new RegistryError(
      'SUBJECT_SOFT_DELETED',
      `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`,
    ),
  subjectNotSoftDeleted: (subject: string) =>
    new RegistryError(
      'SUBJECT_NOT_SOFT_DELETED',
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    ),
  versionSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      'VERSION_SOFT_DELETED',
      `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      'VERSION_NOT_SOFT_DELETED',
      `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
    ),
  compatibilityNotConfigured: (subject: string) =>
    new RegistryError(
      'SUBJECT_COMPATIBILITY_NOT_CONFIGURED',
      `Subject '${subject}' does not have subject-level compatibility configured`,
    ),
  modeNotConfigured: (subject: string) =>
    new RegistryError(
      'SUBJECT_MODE_NOT_CONFIGURED',
      `Subject '${subject}' does not have subject-level mode configured`,
    ),
  incompatible: (subject: string, details: readonly string[]) =>
    new RegistryError(
      'INCOMPATIBLE_SCHEMA',
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join(', ')}]`,
    ),
  invalidSchema: (detail: string) =>
    new RegistryError('INVALID_SCHEMA', `Invalid schema: ${detail}`),
  emptySchema: () => new RegistryError('INVALID_SCHEMA', 'Empty schema'),
  invalidSchemaType: (type: string) =>
    new RegistryError('INVALID_SCHEMA', `Invalid schema type ${type}`),
  invalidCompatibility: (level: string) =>
    new RegistryError(
      'INVALID_COMPATIBILITY_LEVEL',
      `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got ${level})`,
    ),
  invalidMode: (mode: string) =>
    new RegistryError(
      'INVALID_MODE',
      `Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT (got ${mode})`,
    ),
  notPermitted: (message: string) => new RegistryError('OPERATION_NOT_PERMITTED', message),
  referenceExists: (detail: string) =>
    new RegistryError('REFERENCE_EXISTS', `One or more references exist to the schema ${detail}`),
  idMismatch: (message: string) => new RegistryError('ID_DOES_NOT_MATCH', message),
  invalidSubject: (subject: string) =>
    new RegistryError('INVALID_SUBJECT', `Invalid subject ${JSON.stringify(subject)}`),
  schemaTooLarge: (limit: number) =>
    new RegistryError('SCHEMA_TOO_LARGE', `Schema is larger than ${limit} characters`),
  storeError: () => new RegistryError('STORE_ERROR', 'Error in the backend data store'),
} as const;
