/**
 * The catalogue of WAIL error codes. Each entry pins the HTTP status a service
 * answers with and whether retrying the same operation can succeed. Callers
 * decide retry versus dead-letter from `retriable`, never from message text.
 *
 * docs/errors.md documents every code; a test keeps the two in step.
 */
export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { status: 500, retriable: false },
  BAD_REQUEST: { status: 400, retriable: false },
  UNAUTHORIZED: { status: 401, retriable: false },
  FORBIDDEN: { status: 403, retriable: false },
  NOT_FOUND: { status: 404, retriable: false },
  UNKNOWN_TABLE: { status: 404, retriable: false },
  ROW_NOT_FOUND: { status: 404, retriable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retriable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false },
  DATABASE_REJECTED: { status: 422, retriable: false },
  ROUTE_MISMATCH: { status: 422, retriable: false },
  INTENT_LOG_UNAVAILABLE: { status: 503, retriable: true },
  CLUSTER_NOT_CONFIGURED: { status: 503, retriable: false },
  DATABASE_UNAVAILABLE: { status: 503, retriable: true },
  REPOSITORY_UNAVAILABLE: { status: 503, retriable: true },
  INTENT_FORMAT_UNSUPPORTED: { status: 400, retriable: false },
  INTENT_MALFORMED: { status: 400, retriable: false },
  EVENT_TOO_LARGE: { status: 413, retriable: false },
  UNKNOWN_TABLE_PAST_GRACE: { status: 404, retriable: false },
  MODEL_MISSING: { status: 404, retriable: false },
  STORE_NOT_CONFIGURED: { status: 500, retriable: false },
  ENCODE_FAILED: { status: 422, retriable: false },
  EVENT_TOPIC_FORBIDDEN: { status: 422, retriable: false },
  OUTPUT_UNAVAILABLE: { status: 503, retriable: true },
  CLAIM_CHECK_UNAVAILABLE: { status: 503, retriable: true },
  CLAIM_CHECK_MISMATCH: { status: 502, retriable: false },
  CLAIM_CHECK_TOO_LARGE: { status: 413, retriable: false },
  SUBSCRIPTION_EXISTS: { status: 409, retriable: false },
  SUBSCRIPTION_LIMIT_REACHED: { status: 429, retriable: false },
  WRONG_DELIVERY: { status: 409, retriable: false },
  INTERNAL: { status: 500, retriable: false },
} as const satisfies Record<string, { status: number; retriable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as readonly ErrorCode[];

export interface WailErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class WailError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: WailErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WailError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].status;
    this.retriable = ERROR_CATALOGUE[code].retriable;
    this.details = options.details;
  }
}

export function isWailError(value: unknown): value is WailError {
  return value instanceof WailError;
}
