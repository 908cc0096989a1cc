import { WailError } from '@wail/errors';
import { IDENTIFIER } from '@wail/store';
import { REFUSED_CODE } from './redis-scripts';

/**
 * Error replies that say the server cannot serve now, not that the command
 * is wrong: loading, a busy script, a failover under way (READONLY,
 * MASTERDOWN), a full memory, failed persistence; and WAIL's own credentials
 * or ACL being wrong — the operator's to fix, and the same request succeeds
 * once they are, so unavailable too (the consumer must not dead-letter over
 * a password typo).
 */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'OOM',
  'MISCONF',
  'NOAUTH',
  'WRONGPASS',
  'NOPERM',
]);

/** The first word of an error reply: Redis's error code (`WRONGTYPE`, `ERR`, `WAILREJECTED`). */
const REPLY_CODE = /^([A-Z][A-Z0-9_]{1,31})(?: |$)/;

export interface RedisErrorContext {
  /** The logical table, for messages. */
  table?: string;
}

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Translates an ioredis error at the adapter boundary: a script's refusal or
 * a command wrong for the key (WRONGTYPE) is a rejection (422, not
 * retriable); anything about reaching or using the server — refused
 * connections, timeouts, retries exhausted, a closed connection, the
 * replies above — is unavailability (503, retriable). The decision comes
 * from the reply's code word or the error's class and code, never from the
 * rest of the message, and the answer never quotes the server's message or
 * the driver's (which may name the address); those stay on `cause`.
 */
export function translateRedisError(error: unknown, context: RedisErrorContext = {}): WailError {
  if (error instanceof WailError) return error;
  if (error instanceof TypeError || error instanceof RangeError)
    return new WailError('INTERNAL', `Redis call failed (${error.name})`, { cause: error });
  if (isReplyError(error)) {
    const code = REPLY_CODE.exec(error.message)?.[1];
    if (code === REFUSED_CODE) {
      const missing = error.message
        .slice(REFUSED_CODE.length + 1)
        .split(',')
        .filter((name) => IDENTIFIER.test(name));
      const table = context.table === undefined ? 'the table' : context.table;
      return new WailError(
        'DATABASE_REJECTED',
        `Redis rejected the write: no row with this key in ${table}, and a new row needs ${missing.map((name) => `"${name}"`).join(', ')}`,
        { cause: error, details: { rule: 'required', columns: missing } },
      );
    }
    if (code !== undefined && UNAVAILABLE_REPLIES.has(code))
      return new WailError('DATABASE_UNAVAILABLE', `Redis is unavailable (${code})`, {
        cause: error,
      });
    return new WailError(
      'DATABASE_REJECTED',
      `the database rejected the write (Redis ${code ?? 'error reply'})`,
      { cause: error, details: { reply: code } },
    );
  }
  const e = error as { code?: unknown; name?: unknown };
  const code =
    typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{2,63}$/.test(e.code) ? e.code : undefined;
  const name = error instanceof Error ? error.name : typeof error;
  return new WailError('DATABASE_UNAVAILABLE', `Redis is unavailable (${code ?? name})`, {
    cause: error,
  });
}
