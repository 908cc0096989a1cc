import { translateMysqlError } from '@wail/store-mysql';

/**
 * The repository speaks the Confluent Schema Registry error dialect on every
 * endpoint: `{"error_code": <int>, "message": "<text>"}`, where the HTTP status
 * is the first three digits of the code. Message texts that clients assert on
 * (`Subject 'x' not found.`, `Schema not found`) are reproduced exactly.
 * Codes 404 4x/409 4x/422 4x are WAIL's own (models and routes).
 *
 * apps/schema-repository/README.md lists every code; a test keeps them in step.
 */
export const REGISTRY_ERROR_CODES = {
  400: 'BAD_REQUEST',
  40101: 'UNAUTHORIZED',
  40301: 'FORBIDDEN',
  40401: 'SUBJECT_NOT_FOUND',
  40402: 'VERSION_NOT_FOUND',
  40403: 'SCHEMA_NOT_FOUND',
  40404: 'SUBJECT_SOFT_DELETED',
  40405: 'SUBJECT_NOT_SOFT_DELETED',
  40406: 'VERSION_SOFT_DELETED',
  40407: 'VERSION_NOT_SOFT_DELETED',
  40408: 'SUBJECT_COMPATIBILITY_NOT_CONFIGURED',
  40409: 'SUBJECT_MODE_NOT_CONFIGURED',
  40441: 'TABLE_NOT_FOUND',
  40442: 'MODEL_NOT_FOUND',
  40443: 'MODEL_VERSION_NOT_FOUND',
  404: 'ROUTE_NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  409: 'INCOMPATIBLE_SCHEMA',
  40941: 'TOPIC_CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  42201: 'INVALID_SCHEMA',
  42202: 'INVALID_VERSION',
  42203: 'INVALID_COMPATIBILITY_LEVEL',
  42204: 'INVALID_MODE',
  42205: 'OPERATION_NOT_PERMITTED',
  42206: 'REFERENCE_EXISTS',
  42207: 'ID_DOES_NOT_MATCH',
  42208: 'INVALID_SUBJECT',
  42209: 'SCHEMA_TOO_LARGE',
  42241: 'INVALID_ROUTE',
  42242: 'INVALID_MODEL',
  50001: 'STORE_ERROR',
} as const;

export type RegistryErrorCode = keyof typeof REGISTRY_ERROR_CODES;

export class RegistryError extends Error {
  override readonly name = 'RegistryError';

  constructor(
    readonly errorCode: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The HTTP status: the first three digits of the code. */
  get status(): number {
    return Number(String(this.errorCode).slice(0, 3));
  }

  toJSON(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

const MAX_VERSION = 2 ** 31 - 1;

export const registryErrors = {
  badRequest: (message: string) => new RegistryError(400, message),
  unauthorized: () =>
    new RegistryError(40101, 'Unauthorized: a valid bearer token is required for this operation'),
  forbidden: () =>
    new RegistryError(
      40301,
      'Forbidden: the read token cannot change the repository; writes need the write token',
    ),
  subjectNotFound: (subject: string) => new RegistryError(40401, `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) =>
    new RegistryError(40402, `Version ${version} not found.`),
  schemaIdNotFound: (id: number | string) => new RegistryError(40403, `Schema ${id} not found`),
  schemaNotFound: () => new RegistryError(40403, 'Schema not found'),
  subjectSoftDeleted: (subject: string) =>
    new RegistryError(
      40404,
      `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`,
    ),
  subjectNotSoftDeleted: (subject: string) =>
    new RegistryError(
      40405,
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    ),
  versionSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      40406,
      `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      40407,
      `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
    ),
  compatibilityNotConfigured: (subject: string) =>
    new RegistryError(
      40408,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    ),
  modeNotConfigured: (subject: string) =>
    new RegistryError(40409, `Subject '${subject}' does not have subject-level mode configured`),
  tableNotFound: (table: string) => new RegistryError(40441, `Table '${table}' has no route.`),
  modelNotFound: (table: string) => new RegistryError(40442, `Table '${table}' has no data model.`),
  modelVersionNotFound: (table: string, version: number | string) =>
    new RegistryError(40443, `Data model version ${version} of table '${table}' not found.`),
  routeNotFound: (method: string, url: string) =>
    new RegistryError(404, `HTTP 404 Not Found: ${method} ${url}`),
  notAcceptable: () => new RegistryError(406, 'HTTP 406 Not Acceptable'),
  incompatible: (subject: string, details: readonly string[]) =>
    new RegistryError(
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join(', ')}]`,
    ),
  topicConflict: (detail: string) => new RegistryError(40941, `Topic conflict: ${detail}`),
  payloadTooLarge: () => new RegistryError(413, 'HTTP 413 Payload Too Large'),
  uriTooLong: (limit: number) =>
    new RegistryError(414, `HTTP 414 URI Too Long: a path parameter exceeds ${limit} characters`),
  unsupportedMediaType: () => new RegistryError(415, 'HTTP 415 Unsupported Media Type'),
  unprocessable: (message: string) => new RegistryError(422, message),
  invalidSchema: (detail: string) => new RegistryError(42201, `Invalid schema: ${detail}`),
  emptySchema: () => new RegistryError(42201, 'Empty schema'),
  invalidSchemaType: (type: string) => new RegistryError(42201, `Invalid schema type ${type}`),
  invalidVersion: (version: string) =>
    new RegistryError(
      42202,
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, ${MAX_VERSION}] and the string "latest"`,
    ),
  invalidCompatibility: (level: string) =>
    new RegistryError(
      42203,
      `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got ${level})`,
    ),
  invalidMode: (mode: string) =>
    new RegistryError(
      42204,
      `Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT (got ${mode})`,
    ),
  notPermitted: (message: string) => new RegistryError(42205, message),
  referenceExists: (detail: string) =>
    new RegistryError(42206, `One or more references exist to the schema ${detail}`),
  idMismatch: (message: string) => new RegistryError(42207, message),
  invalidSubject: (subject: string) =>
    new RegistryError(42208, `Invalid subject ${JSON.stringify(subject)}`),
  schemaTooLarge: (limit: number) =>
    new RegistryError(42209, `Schema is larger than ${limit} characters`),
  invalidRoute: (detail: string) => new RegistryError(42241, `Invalid table route: ${detail}`),
  invalidModel: (detail: string) => new RegistryError(42242, `Invalid data model: ${detail}`),
  storeError: () => new RegistryError(50001, 'Error in the backend data store'),
} as const;

/**
 * An error that is not the registry's own (a storage failure) as an answer:
 * a write MySQL refused for a rule of its own names the column and the rule
 * (422); anything else is Confluent's generic 50001. Never the server's text:
 * it quotes SQL and values (the log keeps it).
 */
export function storageErrorAnswer(error: unknown): RegistryError {
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (typeof errno !== 'number') return registryErrors.storeError();
  const translated = translateMysqlError(error);
  return translated.code === 'DATABASE_REJECTED'
    ? registryErrors.unprocessable(translated.message)
    : registryErrors.storeError();
}

export { MAX_VERSION };
