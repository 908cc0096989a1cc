import { WailError } from '@wail/errors';

/** Server errors that mean the statement itself is wrong for this table or its data. */
const REJECTED = new Map<number, string>([
  [1048, 'a column that cannot be null was null'],
  [1054, 'unknown column'],
  [1062, 'duplicate value for a unique key'],
  [1146, 'the physical table does not exist'],
  [1049, 'the database does not exist'],
  [1264, 'a value is out of range for its column'],
  [1292, 'a value has the wrong format for its column'],
  [1364, 'a column without a default value was not given'],
  [1366, 'a value has the wrong type for its column'],
  [1406, 'a value is too long for its column'],
  [1452, 'a foreign key constraint failed'],
  [3819, 'a check constraint failed'],
  [4025, 'a check constraint failed'],
]);

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'POOL_CLOSED',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  // A server going down or restarting interrupts statements and connections:
  // transient, not a verdict on the data.
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_LOCK_DEADLOCK',
]);

/** The same, by number, for servers and drivers that give no code name (MariaDB 1927 has none in mysql2). */
const UNAVAILABLE_ERRNOS = new Set([
  1053, 1158, 1159, 1160, 1161, 1205, 1213, 1317, 1927, 1969, 2006, 2013,
]);

/**
 * Translates a mysql2 error at the adapter boundary: data problems are the
 * caller's (422, not retriable), connectivity problems are transient (503,
 * retriable). The decision is made from codes, never from message text.
 */
export function translateMysqlError(error: unknown): WailError {
  if (error instanceof WailError) return error;
  const e = error as { code?: string; errno?: number; sqlMessage?: string; message?: string };
  if (e.errno !== undefined && REJECTED.has(e.errno)) {
    return new WailError(
      'DATABASE_REJECTED',
      `MySQL rejected the write: ${REJECTED.get(e.errno)} (${e.sqlMessage ?? e.message ?? ''})`,
      {
        cause: error,
        details: { errno: e.errno },
      },
    );
  }
  if (
    (e.code && UNAVAILABLE_CODES.has(e.code)) ||
    (e.errno !== undefined && UNAVAILABLE_ERRNOS.has(e.errno)) ||
    e.message === 'Queue limit reached.' ||
    /timeout/i.test(e.code ?? '')
  ) {
    return new WailError(
      'DATABASE_UNAVAILABLE',
      `MySQL is unavailable (${e.code ?? e.message ?? 'unknown'})`,
      { cause: error },
    );
  }
  if (e.errno !== undefined) {
    return new WailError(
      'DATABASE_REJECTED',
      `MySQL error ${e.errno}: ${e.sqlMessage ?? e.message ?? ''}`,
      { cause: error, details: { errno: e.errno } },
    );
  }
  return new WailError('DATABASE_UNAVAILABLE', `MySQL call failed: ${e.message ?? String(error)}`, {
    cause: error,
  });
}
