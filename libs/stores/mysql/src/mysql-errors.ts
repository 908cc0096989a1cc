import { WailError } from '@wail/errors';
import type { ColumnInfo } from '@wail/store';

/**
 * Server errors that mean the statement itself is wrong for this table or its
 * data: the rule each breaks, and where the server's message names the
 * column, key or constraint. The message also quotes the offending value
 * (and, for some, SQL text), so only the identifiers are taken from it, by
 * patterns anchored at its end, never the value; the decision to reject is
 * made from the number alone. MySQL and MariaDB share these numbers (CHECK is
 * 3819 on MySQL, 4025 on MariaDB), not always their code names.
 */
interface Rule {
  rule: string;
  /** Where the identifier is in the server's message, captured as `name`. */
  names?: RegExp;
  /** What the identifier is. */
  kind?: 'column' | 'key' | 'constraint' | 'foreign-key';
  describe: (found: Found) => string;
}

interface Found {
  column?: string;
  key?: string;
  constraint?: string;
  /** The value's SQL type as the server names it (`integer`, `date`): a type word, never the value. */
  valueType?: string;
  /** The column's bound, when the table's description is known. */
  maxLength?: number;
  unit?: string;
}

const Q = "'[^']*'|`[^`]*`";
const AT_ROW = new RegExp(`for column (?<name>(?:${Q})(?:\\.(?:${Q}))*) at row \\d+$`);
const VALUE_TYPE = /^(?:Truncated )?[Ii]ncorrect (?<type>[A-Za-z ]{1,20}?) value/;
const onColumn = (column: string | undefined, rule: string) =>
  column === undefined ? rule : `column "${column}": ${rule}`;
/** A rule about one column, named where `names` finds it. */
const columnRule = (rule: string, names: RegExp, text: (found: Found) => string): Rule => ({
  rule,
  names,
  kind: 'column',
  describe: (found) => onColumn(found.column, text(found)),
});
const wrongValue = (found: Found) =>
  found.valueType === undefined ? 'incorrect value' : `incorrect ${found.valueType} value`;
const tooLong = (found: Found) =>
  found.maxLength === undefined
    ? 'value too long'
    : `value too long (max ${found.maxLength} ${found.unit})`;
const check: Rule['describe'] = (found) =>
  found.column !== undefined
    ? `column "${found.column}": violates its CHECK constraint`
    : `violates CHECK constraint ${found.constraint ?? '(unnamed)'}`;
const plain = (rule: string, text: string): Rule => ({ rule, describe: () => text });

const REJECTED = new Map<number, Rule>([
  [1048, columnRule('not_null', /^Column '(?<name>.*)' cannot be null$/, () => 'cannot be null')],
  [1263, columnRule('not_null', /column '(?<name>.*)' at row \d+$/, () => 'cannot be null')],
  [
    1054,
    columnRule(
      'unknown_column',
      /^Unknown column '(?<name>.*?)' in '[^']*'$/,
      () => 'does not exist',
    ),
  ],
  [
    1364,
    columnRule(
      'required',
      /^Field '(?<name>.*)' doesn't have a default value$/,
      () => 'required (no default value)',
    ),
  ],
  [1264, columnRule('out_of_range', AT_ROW, () => 'value out of range for its type')],
  [1265, columnRule('wrong_value', AT_ROW, () => 'value not valid for its type')],
  [1292, columnRule('wrong_value', AT_ROW, wrongValue)],
  [1366, columnRule('wrong_value', AT_ROW, wrongValue)],
  [1406, columnRule('too_long', AT_ROW, tooLong)],
  [3140, columnRule('invalid_json', /for column '(?<name>[^']*)'\.?$/, () => 'invalid JSON')],
  [1690, plain('out_of_range', 'a value is out of range for its type')],
  [1367, plain('wrong_value', 'a value is not valid for its type')],
  [1411, plain('wrong_value', 'a value is not valid for its type')],
  [1146, plain('no_table', 'the physical table does not exist')],
  [1049, plain('no_database', 'the database does not exist')],
  [
    1062,
    {
      rule: 'unique',
      names: /for key '(?<name>[^']*)'$/,
      kind: 'key',
      describe: (found) =>
        found.key === 'PRIMARY'
          ? 'duplicate value for the primary key'
          : `duplicate value for unique key ${found.key ?? '(unnamed)'}`,
    },
  ],
  [
    1451,
    {
      rule: 'foreign_key',
      names: /CONSTRAINT `(?<name>[^`]+)` FOREIGN KEY/,
      kind: 'constraint',
      describe: (found) =>
        `the row is still referenced (FOREIGN KEY constraint ${found.constraint ?? '(unnamed)'})`,
    },
  ],
  [
    1452,
    {
      rule: 'foreign_key',
      names: /CONSTRAINT `(?<name>[^`]+)` FOREIGN KEY \(`(?<column>[^`]+)`/,
      kind: 'foreign-key',
      describe: (found) =>
        onColumn(
          found.column,
          `violates FOREIGN KEY constraint ${found.constraint ?? '(unnamed)'} (no referenced row)`,
        ),
    },
  ],
  [
    3819,
    {
      rule: 'check',
      names: /^Check constraint '(?<name>[^']*)' is violated\.?$/,
      kind: 'constraint',
      describe: check,
    },
  ],
  [
    4025,
    {
      rule: 'check',
      names: /^CONSTRAINT `(?<name>[^`]*)` failed for /,
      kind: 'constraint',
      describe: check,
    },
  ],
]);

/** The table's columns, when known: they bound the rule's message and vet the names read. */
export interface MysqlErrorContext {
  columns?: ReadonlyMap<string, ColumnInfo>;
}

/** `'qty'`, `` `db`.`t`.`qty` `` → `qty`. */
function lastPart(quoted: string): string {
  const parts = quoted.match(new RegExp(Q, 'g'));
  return parts ? parts[parts.length - 1]!.slice(1, -1) : quoted;
}

/** After the last dot: MySQL 8 writes `table.key` and `table.column`, MariaDB a column CHECK `table.column`. */
const unqualified = (name: string) => name.slice(name.lastIndexOf('.') + 1);

function identifiers(rule: Rule, message: string, context: MysqlErrorContext): Found {
  const found: Found = {};
  const valueType = VALUE_TYPE.exec(message)?.groups?.['type'];
  if (valueType) found.valueType = valueType.toLowerCase();
  const groups = rule.names?.exec(message)?.groups;
  const name = groups?.['name'];
  if (name === undefined || name.length === 0 || name.length > 129) return found;
  // A name read from the message is trusted only if it is one of the table's columns.
  const isColumn = (candidate: string | undefined): candidate is string =>
    candidate !== undefined &&
    candidate.length > 0 &&
    candidate.length <= 64 &&
    (context.columns === undefined || context.columns.has(candidate));

  switch (rule.kind) {
    case 'column': {
      const column = /^['`]/.test(name) ? lastPart(name) : unqualified(name);
      if (isColumn(column)) found.column = column;
      break;
    }
    case 'key':
      found.key = unqualified(name);
      break;
    case 'constraint':
      if (rule.rule === 'check' && name.includes('.') && isColumn(unqualified(name)))
        found.column = unqualified(name);
      else found.constraint = name;
      break;
    case 'foreign-key':
      found.constraint = name;
      if (isColumn(groups?.['column'])) found.column = groups!['column'];
      break;
    default:
      break;
  }
  const column = found.column === undefined ? undefined : context.columns?.get(found.column);
  if (column?.maxLength !== undefined) {
    found.maxLength = column.maxLength;
    found.unit = /char$/.test(column.type) ? 'characters' : 'bytes';
  }
  return found;
}

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
 * WAIL's own credentials or grants are wrong: the operator's to fix, not the
 * client's, and the same request succeeds once they are; so unavailable
 * (503, retried; the consumer must not dead-letter over a typo in a password).
 */
const DENIED_ERRNOS = new Set([1044, 1045, 1142, 1143, 1227, 1370]);

/**
 * Translates a mysql2 error at the adapter boundary: data problems are the
 * caller's (422, not retriable), connectivity problems are transient (503,
 * retriable). The decision is made from codes, never from message text; the
 * answer names the column and the rule, never the server's text (it quotes
 * values and SQL) — that stays on `cause`, for the logs.
 */
export function translateMysqlError(error: unknown, context: MysqlErrorContext = {}): WailError {
  if (error instanceof WailError) return error;
  const e = error as { code?: string; errno?: number; sqlMessage?: string; message?: string };
  const rule = e.errno === undefined ? undefined : REJECTED.get(e.errno);
  if (rule) {
    const found = identifiers(rule, e.sqlMessage ?? e.message ?? '', context);
    const { valueType: _valueType, unit: _unit, ...named } = found;
    return new WailError('DATABASE_REJECTED', `MySQL rejected the write: ${rule.describe(found)}`, {
      cause: error,
      details: { errno: e.errno, rule: rule.rule, ...named },
    });
  }
  const code =
    typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{2,63}$/.test(e.code) ? e.code : undefined;
  if (
    (code && UNAVAILABLE_CODES.has(code)) ||
    (e.errno !== undefined && UNAVAILABLE_ERRNOS.has(e.errno)) ||
    (e.errno !== undefined && DENIED_ERRNOS.has(e.errno)) ||
    e.message === 'Queue limit reached.' ||
    /timeout/i.test(e.code ?? '')
  ) {
    const reason = code ?? (e.errno === undefined ? 'connection queue full' : `error ${e.errno}`);
    return new WailError('DATABASE_UNAVAILABLE', `MySQL is unavailable (${reason})`, {
      cause: error,
    });
  }
  if (e.errno !== undefined) {
    return new WailError(
      'DATABASE_REJECTED',
      `the database rejected the write (MySQL error ${e.errno})`,
      { cause: error, details: { errno: e.errno } },
    );
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new WailError('DATABASE_UNAVAILABLE', `MySQL call failed (${code ?? name})`, {
    cause: error,
  });
}
