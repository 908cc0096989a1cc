import { translateMysqlError } from '@wail/store-mysql';
import { ControlPlaneError, type ControlPlaneErrorCode } from '../control-plane/errors';
import { RegistryError, registryErrors, type RegistryErrorCode } from '../registry/errors';
import { MAX_VERSION } from '../registry/types';

/**
 * The repository speaks the Confluent Schema Registry error dialect on every
 * endpoint: `{"error_code": <int>, "message": "<text>"}`, where the HTTP status
 * is the first three digits of the code. Domain errors carry a name and their
 * message; this table gives each name its code. Codes 404 4x/409 4x/422 4x are
 * WAIL's own (models and routes).
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
  40444: 'BACKFILL_NOT_FOUND',
  404: 'ROUTE_NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  409: 'INCOMPATIBLE_SCHEMA',
  40941: 'TOPIC_CONFLICT',
  40942: 'KEY_PREFIX_CONFLICT',
  40943: 'MOVE_IN_PROGRESS',
  40944: 'BACKFILL_RUNNING',
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
  42243: 'INVALID_BACKFILL',
  50001: 'STORE_ERROR',
} as const;

export type ErrorCode = keyof typeof REGISTRY_ERROR_CODES;
type ErrorName = (typeof REGISTRY_ERROR_CODES)[ErrorCode];

/** Typed so that a domain error name without a code here does not compile. */
const CODE_OF: Record<RegistryErrorCode | ControlPlaneErrorCode, ErrorCode> = Object.fromEntries(
  Object.entries(REGISTRY_ERROR_CODES).map(([code, name]) => [name, Number(code)]),
) as Record<ErrorName, ErrorCode>;

/** An error as the client sees it: refusals of the HTTP layer, and every other error mapped to one. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly errorCode: ErrorCode,
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

/** What the HTTP layer refuses before the domain sees the request. */
export const httpErrors = {
  badRequest: (message: string) => new HttpError(400, message),
  unauthorized: () =>
    new HttpError(40101, 'Unauthorized: a valid bearer token is required for this operation'),
  forbidden: () =>
    new HttpError(
      40301,
      'Forbidden: the read token cannot change the repository; writes need the write token',
    ),
  routeNotFound: (method: string, url: string) =>
    new HttpError(404, `HTTP 404 Not Found: ${method} ${url}`),
  notAcceptable: () => new HttpError(406, 'HTTP 406 Not Acceptable'),
  payloadTooLarge: () => new HttpError(413, 'HTTP 413 Payload Too Large'),
  uriTooLong: (limit: number) =>
    new HttpError(414, `HTTP 414 URI Too Long: a path parameter exceeds ${limit} characters`),
  unsupportedMediaType: () => new HttpError(415, 'HTTP 415 Unsupported Media Type'),
  unprocessable: (message: string) => new HttpError(422, message),
  invalidVersion: (version: string) =>
    new HttpError(
      42202,
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, ${MAX_VERSION}] and the string "latest"`,
    ),
} as const;

/** The answer to a domain error or to one of the HTTP layer's own; `undefined` for anything else. */
export function knownErrorAnswer(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof RegistryError || error instanceof ControlPlaneError) return answerOf(error);
  return undefined;
}

function answerOf(error: RegistryError | ControlPlaneError): HttpError {
  return new HttpError(CODE_OF[error.code], error.message);
}

/**
 * An error that is not the repository's own (a storage failure) as an answer:
 * a write MySQL refused for a rule of its own names the column and the rule
 * (422); anything else is Confluent's generic 50001. Never the server's text:
 * it quotes SQL and values (the log keeps it).
 */
export function storageErrorAnswer(error: unknown): HttpError {
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (typeof errno !== 'number') return answerOf(registryErrors.storeError());
  const translated = translateMysqlError(error);
  return translated.code === 'DATABASE_REJECTED'
    ? httpErrors.unprocessable(translated.message)
    : answerOf(registryErrors.storeError());
}
