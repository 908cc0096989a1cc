import { WailError, rootErrorCode } from '@wail/errors';
import type { ColumnInfo } from '@wail/store';

/**
 * SQLSTATEs that mean the statement itself is wrong for this table or its
 * data (422, not retriable), with the rule each breaks. The server's message
 * and detail quote the offending values, so neither is ever echoed: the
 * column and constraint come from the error's own fields, and a column name
 * is trusted only if it is one of the table's.
 */
const REJECTED: Record<string, { rule: string; text: string }> = {
  '23502': { rule: 'not_null', text: 'cannot be null' },
  '23505': { rule: 'unique', text: 'duplicate value for a unique key' },
  '23503': { rule: 'foreign_key', text: 'violates a FOREIGN KEY constraint' },
  '23514': { rule: 'check', text: 'violates a CHECK constraint' },
  '23P01': { rule: 'exclusion', text: 'violates an EXCLUSION constraint' },
  '22001': { rule: 'too_long', text: 'value too long for its type' },
  '22003': { rule: 'out_of_range', text: 'value out of range for its type' },
  '22008': { rule: 'out_of_range', text: 'date or time out of range' },
  '22007': { rule: 'wrong_value', text: 'not a valid date or time' },
  '22P02': { rule: 'wrong_value', text: 'value not valid for its type' },
  '22021': { rule: 'wrong_value', text: 'a character the database cannot store' },
  '22P05': { rule: 'wrong_value', text: 'a character the database cannot store' },
  '22030': { rule: 'invalid_json', text: 'invalid JSON' },
  '22032': { rule: 'invalid_json', text: 'invalid JSON' },
  '2202E': { rule: 'wrong_value', text: 'value not valid for its type' },
  '42804': { rule: 'wrong_value', text: 'value of the wrong type' },
  '428C9': { rule: 'generated', text: 'is generated and cannot be written' },
  '42703': { rule: 'unknown_column', text: 'does not exist' },
  '42P01': { rule: 'no_table', text: 'the physical table does not exist' },
  '3F000': { rule: 'no_schema', text: 'the schema does not exist' },
  '3D000': { rule: 'no_database', text: 'the database does not exist' },
};

/**
 * Transient: the server is down, restarting, out of connections, or a
 * statement lost a deadlock or timed out (the guarded write can run again).
 * WAIL's own credentials or grants being wrong is the operator's to fix and
 * the same request succeeds once they are: unavailable too, as for MySQL.
 */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58', '28', '40', 'XX'];
const UNAVAILABLE_STATES = new Set(['55P03', '42501']);

/** The table's columns, when known: they vet the column named by the server. */
export interface PostgresErrorContext {
  columns?: ReadonlyMap<string, ColumnInfo>;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Translates a node-postgres error at the adapter boundary: data problems
 * are the caller's (DATABASE_REJECTED, 422), connectivity problems are
 * transient (DATABASE_UNAVAILABLE, 503, retriable) — the same split as
 * `translateMysqlError`. The decision is made from the SQLSTATE or the
 * network code, never from message text; the answer names the column, the
 * constraint and the rule, never the server's text (it quotes values and
 * SQL) — that stays on `cause`, for the logs. A connection URL is never in
 * a message: the driver's own errors carry none, and this adds none.
 */
export function translatePostgresError(
  error: unknown,
  context: PostgresErrorContext = {},
): WailError {
  if (error instanceof WailError) return error;
  const e = error as { code?: unknown; column?: unknown; constraint?: unknown };
  const state = typeof e.code === 'string' && SQLSTATE.test(e.code) ? e.code : undefined;
  const rule = state === undefined ? undefined : REJECTED[state];
  if (state !== undefined && rule) {
    const column =
      typeof e.column === 'string' &&
      (context.columns === undefined || context.columns.has(e.column))
        ? e.column
        : undefined;
    const constraint =
      typeof e.constraint === 'string' && e.constraint.length <= 63 ? e.constraint : undefined;
    const subject =
      column !== undefined
        ? `column "${column}": ${rule.text}`
        : constraint !== undefined
          ? `${rule.text} (${constraint})`
          : rule.text;
    return new WailError('DATABASE_REJECTED', `PostgreSQL rejected the write: ${subject}`, {
      cause: error,
      details: {
        sqlstate: state,
        rule: rule.rule,
        ...(column === undefined ? {} : { column }),
        ...(constraint === undefined ? {} : { constraint }),
      },
    });
  }
  if (
    state !== undefined &&
    (UNAVAILABLE_CLASSES.includes(state.slice(0, 2)) || UNAVAILABLE_STATES.has(state))
  ) {
    return new WailError('DATABASE_UNAVAILABLE', `PostgreSQL is unavailable (SQLSTATE ${state})`, {
      cause: error,
      details: { sqlstate: state },
    });
  }
  if (state !== undefined) {
    return new WailError(
      'DATABASE_REJECTED',
      `the database rejected the write (PostgreSQL SQLSTATE ${state})`,
      { cause: error, details: { sqlstate: state } },
    );
  }
  // No SQLSTATE: the network, a pool or client timeout, a connection the
  // server ended. Transient, and named by its code when it has one.
  const reason = rootErrorCode(error) ?? (error instanceof Error ? error.name : typeof error);
  return new WailError('DATABASE_UNAVAILABLE', `PostgreSQL is unavailable (${reason})`, {
    cause: error,
  });
}
