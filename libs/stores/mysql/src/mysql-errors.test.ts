import type { ColumnInfo } from '@wail/store';
import { translateMysqlError } from './mysql-errors';

const serverError = (errno: number, code: string, sqlMessage = `error ${errno}`) =>
  Object.assign(new Error(sqlMessage), { errno, code, sqlMessage });

const column = (name: string, type: string, maxLength?: number): [string, ColumnInfo] => [
  name,
  { name, type, nullable: true, optional: true, ...(maxLength ? { maxLength } : {}) },
];
const columns = new Map([
  column('id', 'bigint'),
  column('email', 'varchar', 120),
  column('blob_col', 'varbinary', 16),
  column('qty', 'int'),
  column('name', 'varchar', 10),
  column('d', 'date'),
  column('e', 'enum'),
  column('j', 'longtext'),
  column('pid', 'int'),
  column('tiny', 'tinyint'),
]);

/** Real server messages (MariaDB 10.11, MySQL 8), with a recognisable value in each. */
const VALUE = 'valuecanary-9c1e';
const DB = 'shop_7f3a';

describe('translateMysqlError', () => {
  it.each([
    [
      1406,
      'ER_DATA_TOO_LONG',
      "Data too long for column 'email' at row 1",
      'column "email": value too long (max 120 characters)',
    ],
    [
      1406,
      'ER_DATA_TOO_LONG',
      "Data too long for column 'blob_col' at row 1",
      'column "blob_col": value too long (max 16 bytes)',
    ],
    [
      4025,
      'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE',
      `CONSTRAINT \`chk_qty\` failed for \`${DB}\`.\`t\``,
      'violates CHECK constraint chk_qty',
    ],
    [
      4025,
      '',
      `CONSTRAINT \`t.qty\` failed for \`${DB}\`.\`t\``,
      'column "qty": violates its CHECK constraint',
    ],
    [
      3819,
      'ER_CHECK_CONSTRAINT_VIOLATED',
      "Check constraint 'chk_qty' is violated.",
      'violates CHECK constraint chk_qty',
    ],
    [
      1062,
      'ER_DUP_ENTRY',
      `Duplicate entry '${VALUE}' for key 'uq_email'`,
      'duplicate value for unique key uq_email',
    ],
    [
      1062,
      'ER_DUP_ENTRY',
      `Duplicate entry '${VALUE}' for key 't.uq_email'`,
      'duplicate value for unique key uq_email',
    ],
    [
      1062,
      'ER_DUP_ENTRY',
      `Duplicate entry '${VALUE}' for key 'PRIMARY'`,
      'duplicate value for the primary key',
    ],
    [1048, 'ER_BAD_NULL_ERROR', "Column 'name' cannot be null", 'column "name": cannot be null'],
    [
      1364,
      'ER_NO_DEFAULT_FOR_FIELD',
      "Field 'name' doesn't have a default value",
      'column "name": required (no default value)',
    ],
    [
      1366,
      'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
      `Incorrect integer value: '${VALUE}' for column \`${DB}\`.\`t\`.\`qty\` at row 1`,
      'column "qty": incorrect integer value',
    ],
    [
      1366,
      'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
      `Incorrect integer value: '${VALUE}' for column 'qty' at row 1`,
      'column "qty": incorrect integer value',
    ],
    [
      1264,
      'ER_WARN_DATA_OUT_OF_RANGE',
      "Out of range value for column 'tiny' at row 1",
      'column "tiny": value out of range for its type',
    ],
    [
      1292,
      'ER_TRUNCATED_WRONG_VALUE',
      `Incorrect date value: '${VALUE}' for column \`${DB}\`.\`t\`.\`d\` at row 1`,
      'column "d": incorrect date value',
    ],
    [
      1292,
      'ER_TRUNCATED_WRONG_VALUE',
      `Truncated incorrect DOUBLE value: '${VALUE}'`,
      'incorrect double value',
    ],
    [
      1265,
      'WARN_DATA_TRUNCATED',
      "Data truncated for column 'e' at row 1",
      'column "e": value not valid for its type',
    ],
    [
      1452,
      'ER_NO_REFERENCED_ROW_2',
      `Cannot add or update a child row: a foreign key constraint fails (\`${DB}\`.\`t\`, CONSTRAINT \`fk_p\` FOREIGN KEY (\`pid\`) REFERENCES \`p\` (\`id\`))`,
      'column "pid": violates FOREIGN KEY constraint fk_p (no referenced row)',
    ],
    [
      1451,
      'ER_ROW_IS_REFERENCED_2',
      `Cannot delete or update a parent row: a foreign key constraint fails (\`${DB}\`.\`t\`, CONSTRAINT \`fk_p\` FOREIGN KEY (\`pid\`) REFERENCES \`p\` (\`id\`))`,
      'the row is still referenced (FOREIGN KEY constraint fk_p)',
    ],
    [1054, 'ER_BAD_FIELD_ERROR', "Unknown column 'nope' in 'INSERT INTO'", 'does not exist'],
    [
      1146,
      'ER_NO_SUCH_TABLE',
      `Table '${DB}.nope' doesn't exist`,
      'the physical table does not exist',
    ],
    [
      1690,
      'ER_DATA_OUT_OF_RANGE',
      `BIGINT UNSIGNED value is out of range in 'cast('${VALUE}' as unsigned) * 100000000000'`,
      'a value is out of range for its type',
    ],
    [
      3140,
      'ER_INVALID_JSON_TEXT',
      `Invalid JSON text: "Invalid value." at position 0 in value for column 't.j'.`,
      'column "j": invalid JSON',
    ],
  ])('answers DATABASE_REJECTED naming the rule for %i %s', (errno, code, message, expected) => {
    const error = translateMysqlError(serverError(errno, code, message), { columns });
    expect(error.code).toBe('DATABASE_REJECTED');
    expect(error.statusCode).toBe(422);
    expect(error.message).toBe(`MySQL rejected the write: ${expected}`);
    expect(error.details).toMatchObject({ errno });
    const answer = JSON.stringify({ message: error.message, details: error.details });
    expect(answer).not.toContain(VALUE);
    expect(answer).not.toContain(DB);
    expect(answer).not.toMatch(/CONSTRAINT|REFERENCES|Duplicate entry|at row|cast\(/);
  });

  it('names the bound and the column in details', () => {
    const error = translateMysqlError(
      serverError(1406, 'ER_DATA_TOO_LONG', "Data too long for column 'email' at row 1"),
      { columns },
    );
    expect(error.details).toEqual({
      errno: 1406,
      rule: 'too_long',
      column: 'email',
      maxLength: 120,
    });
  });

  it('takes the identifier from the end of the message, never from a value that imitates it', () => {
    const forged = `Incorrect integer value: 'x' for column 'email' at row 1' for column \`${DB}\`.\`t\`.\`qty\` at row 1`;
    expect(translateMysqlError(serverError(1366, '', forged), { columns }).message).toBe(
      'MySQL rejected the write: column "qty": incorrect integer value',
    );
    const key = `Duplicate entry 'a' for key 'fake'' for key 'uq_email'`;
    expect(translateMysqlError(serverError(1062, '', key)).message).toBe(
      'MySQL rejected the write: duplicate value for unique key uq_email',
    );
  });

  it('names only real columns when the table is known', () => {
    const error = translateMysqlError(
      serverError(1048, 'ER_BAD_NULL_ERROR', `Column '${VALUE}' cannot be null`),
      { columns },
    );
    expect(error.message).toBe('MySQL rejected the write: cannot be null');
  });

  it('answers an unknown server error with its number only', () => {
    const error = translateMysqlError(
      serverError(1644, 'ER_SIGNAL_EXCEPTION', `trigger says ${VALUE}`),
    );
    expect(error.code).toBe('DATABASE_REJECTED');
    expect(error.message).toBe('the database rejected the write (MySQL error 1644)');
  });

  it.each([
    [1040, 'ER_CON_COUNT_ERROR'],
    [1053, 'ER_SERVER_SHUTDOWN'],
    [1317, 'ER_QUERY_INTERRUPTED'],
    [1927, 'ER_CONNECTION_KILLED'],
    [1927, ''],
    [2013, 'CR_SERVER_LOST'],
    [1213, 'ER_LOCK_DEADLOCK'],
    [1205, 'ER_LOCK_WAIT_TIMEOUT'],
  ])('answers DATABASE_UNAVAILABLE (503) while a server restarts: %i %s', (errno, code) => {
    expect(translateMysqlError(serverError(errno, code)).code).toBe('DATABASE_UNAVAILABLE');
  });

  it('answers DATABASE_UNAVAILABLE for connection errors, without the driver text', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:3306'), {
      code: 'ECONNREFUSED',
    });
    const error = translateMysqlError(refused);
    expect(error.code).toBe('DATABASE_UNAVAILABLE');
    expect(error.message).toBe('MySQL is unavailable (ECONNREFUSED)');
    const queue = translateMysqlError(new Error('Queue limit reached.'));
    expect(queue.message).toBe('MySQL is unavailable (connection queue full)');
    const odd = translateMysqlError(new TypeError(`Bind parameters must not contain ${VALUE}`));
    expect(odd.message).toBe('MySQL call failed (TypeError)');
  });

  it.each([
    [1045, 'ER_ACCESS_DENIED_ERROR'],
    [1044, 'ER_DBACCESS_DENIED_ERROR'],
    [1142, 'ER_TABLEACCESS_DENIED_ERROR'],
  ])(
    "answers DATABASE_UNAVAILABLE when WAIL's own credentials are refused: %i %s",
    (errno, code) => {
      const error = translateMysqlError(
        serverError(errno, code, "Access denied for user 'app'@'10.0.0.7' (using password: YES)"),
      );
      expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retriable: true });
      expect(error.message).toBe(`MySQL is unavailable (${code})`);
    },
  );
});
