import { status } from '@grpc/grpc-js';
import { isWailError, type ErrorCode } from '@wail/errors';

/**
 * The gRPC status of each WAIL error code, beside the HTTP status the
 * catalogue gives it: a record over every code, so a new code does not
 * compile until it has one.
 */
export const GRPC_STATUS: Record<ErrorCode, status> = {
  CONFIG_INVALID: status.INTERNAL,
  BAD_REQUEST: status.INVALID_ARGUMENT,
  UNAUTHORIZED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  UNKNOWN_TABLE: status.NOT_FOUND,
  ROW_NOT_FOUND: status.NOT_FOUND,
  PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  UNSUPPORTED_MEDIA_TYPE: status.INVALID_ARGUMENT,
  DATABASE_REJECTED: status.FAILED_PRECONDITION,
  ROUTE_MISMATCH: status.FAILED_PRECONDITION,
  INTENT_LOG_UNAVAILABLE: status.UNAVAILABLE,
  CLUSTER_NOT_CONFIGURED: status.FAILED_PRECONDITION,
  DATABASE_UNAVAILABLE: status.UNAVAILABLE,
  REPOSITORY_UNAVAILABLE: status.UNAVAILABLE,
  INTENT_FORMAT_UNSUPPORTED: status.INVALID_ARGUMENT,
  INTENT_MALFORMED: status.INVALID_ARGUMENT,
  EVENT_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  UNKNOWN_TABLE_PAST_GRACE: status.NOT_FOUND,
  MODEL_MISSING: status.NOT_FOUND,
  STORE_NOT_CONFIGURED: status.FAILED_PRECONDITION,
  ENCODE_FAILED: status.FAILED_PRECONDITION,
  EVENT_TOPIC_FORBIDDEN: status.FAILED_PRECONDITION,
  OUTPUT_UNAVAILABLE: status.UNAVAILABLE,
  CLAIM_CHECK_UNAVAILABLE: status.UNAVAILABLE,
  CLAIM_CHECK_MISMATCH: status.DATA_LOSS,
  CLAIM_CHECK_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  SUBSCRIPTION_EXISTS: status.ALREADY_EXISTS,
  SUBSCRIPTION_LIMIT_REACHED: status.RESOURCE_EXHAUSTED,
  WRONG_DELIVERY: status.FAILED_PRECONDITION,
  INTERNAL: status.INTERNAL,
};

/** What a call that failed ends with: `code` and `details` as grpc-js takes them. */
export interface CallStatus {
  code: status;
  /** `<WAIL code>: <message>`, so a client can branch on the code as HTTP clients do. */
  details: string;
}

/**
 * The status a failed call ends with. A WAIL error keeps its code and
 * message; anything else is a bug, shown as INTERNAL without its message
 * (which may quote internals) — the log has it.
 */
export function callStatusOf(error: unknown): CallStatus {
  if (isWailError(error))
    return { code: GRPC_STATUS[error.code], details: `${error.code}: ${error.message}` };
  return { code: status.INTERNAL, details: 'INTERNAL: an unexpected error (see the gateway log)' };
}
