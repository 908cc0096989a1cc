import type { ColumnInfo } from '@wail/store';
import { translatePostgresError } from './postgres-errors';

/** The fields node-postgres gives a server error (DatabaseError); the message and detail quote values. */
const serverError = (code: string, fields: { column?: string; constraint?: string } = {}) =>
  Object.assign(new Error(`message quoting valuecanary-9c1e`), {
    code,
    detail: 'Key (email)=(valuecanary-9c1e) already exists.',
    ...fields,
  });

const columns = new Map<string, ColumnInfo>([
  ['name', { name: 'name', type: 'text', nullable: false, optional: false }],
]);

describe('translatePostgresError', () => {
  it.each([
    [
      '23502',
      { column: 'name' },
      'not_null',
      'PostgreSQL rejected the write: column "name": cannot be null',
    ],
    [
      '23505',
      { constraint: 'accounts_email_key' },
      'unique',
      'PostgreSQL rejected the write: duplicate value for a unique key (accounts_email_key)',
    ],
    ['22001', {}, 'too_long', 'PostgreSQL rejected the write: value too long for its type'],
    ['22003', {}, 'out_of_range', 'PostgreSQL rejected the write: value out of range for its type'],
    ['42P01', {}, 'no_table', 'PostgreSQL rejected the write: the physical table does not exist'],
    ['3D000', {}, 'no_database', 'PostgreSQL rejected the write: the database does not exist'],
  ])(
    'rejects SQLSTATE %s as the data’s problem, naming only identifiers',
    (code, fields, rule, message) => {
      const error = translatePostgresError(serverError(code, fields), { columns });
      expect(error).toMatchObject({
        code: 'DATABASE_REJECTED',
        retriable: false,
        message,
        details: { rule, sqlstate: code },
      });
      expect(error.message).not.toContain('valuecanary');
    },
  );

  it('does not trust a column the table does not have', () => {
    expect(
      translatePostgresError(serverError('23502', { column: 'valuecanary' }), { columns }).message,
    ).toBe('PostgreSQL rejected the write: cannot be null');
  });

  it.each([
    '08006',
    '57P01',
    '57P03',
    '53300',
    '40P01',
    '40001',
    '55P03',
    '57014',
    '28P01',
    '42501',
  ])('takes SQLSTATE %s as unavailable and retriable', (code) => {
    expect(translatePostgresError(serverError(code))).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      retriable: true,
      message: `PostgreSQL is unavailable (SQLSTATE ${code})`,
    });
  });

  it('takes network and client errors as unavailable, by code, never quoting their text', () => {
    const refused = Object.assign(
      new Error('connect ECONNREFUSED 10.0.0.1:5432 postgres://u:pw@h'),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(translatePostgresError(new AggregateError([refused]))).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message: 'PostgreSQL is unavailable (ECONNREFUSED)',
    });
    expect(
      translatePostgresError(new Error('timeout exceeded when trying to connect')),
    ).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message: 'PostgreSQL is unavailable (Error)',
    });
  });

  it('rejects an unknown SQLSTATE without its text', () => {
    expect(translatePostgresError(serverError('P0001'))).toMatchObject({
      code: 'DATABASE_REJECTED',
      message: 'the database rejected the write (PostgreSQL SQLSTATE P0001)',
    });
  });
});
