import fc from 'fast-check';
import type { KeyColumn } from '@wail/intent';
import { canonicalKeyColumns, routeTableProblems, tombstoneKey } from './keys';
import type { ColumnInfo, TableRef } from './store';

const column = (name: string, type: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  type,
  nullable: false,
  optional: false,
  ...extra,
});

const table = (...columns: ColumnInfo[]) => new Map(columns.map((c) => [c.name, c]));
const mysql = (keyColumns: string[]): TableRef => ({
  store: 'mysql',
  namespace: 'db',
  table: 't',
  keyColumns,
});
const cassandra = (keyColumns: string[]): TableRef => ({
  ...mysql(keyColumns),
  store: 'cassandra',
});

describe('routeTableProblems', () => {
  const tenants = table(
    column('tenant', 'bigint', { keyPosition: 0 }),
    column('id', 'bigint', { keyPosition: 1 }),
    column('note', 'varchar', { collation: 'utf8mb4_general_ci' }),
    column('wail_ts', 'bigint'),
  );

  it('accepts keyColumns that are the whole primary key in order', () => {
    expect(routeTableProblems(mysql(['tenant', 'id']), tenants)).toEqual([]);
  });

  it('refuses part of the primary key, which would make a delete a mass delete', () => {
    expect(routeTableProblems(mysql(['tenant']), tenants)).toEqual([
      'keyColumns (tenant) must be its whole primary key in order: (tenant, id)',
    ]);
  });

  it('refuses the primary key in another order, and a table without one', () => {
    expect(routeTableProblems(mysql(['id', 'tenant']), tenants)).toHaveLength(1);
    expect(
      routeTableProblems(mysql(['id']), table(column('id', 'bigint'), column('wail_ts', 'bigint'))),
    ).toEqual(['it has no primary key; keyColumns (id) must be one']);
  });

  it('refuses key columns whose equality WAIL cannot reproduce, naming each', () => {
    const problems = routeTableProblems(
      mysql(['code', 'amount', 'prefix']),
      table(
        column('code', 'varchar', { keyPosition: 0, collation: 'utf8mb4_general_ci' }),
        column('amount', 'decimal', { keyPosition: 1 }),
        column('prefix', 'varchar', {
          keyPosition: 2,
          collation: 'utf8mb4_bin',
          keyPrefixOnly: true,
        }),
        column('wail_ts', 'bigint'),
      ),
    );
    expect(
      routeTableProblems(
        mysql(['id']),
        table(column('id', 'uuid', { keyPosition: 0 }), column('wail_ts', 'bigint')),
      ),
    ).toEqual([expect.stringContaining('"id" has type uuid')]);
    expect(problems).toEqual([
      expect.stringContaining('"code" has collation utf8mb4_general_ci'),
      expect.stringContaining('"amount" has type decimal'),
      expect.stringContaining('only a prefix of "prefix"'),
    ]);
  });
});

describe('canonicalKeyColumns', () => {
  const key = (name: string, value: KeyColumn['value']) => [{ name, value }];

  it('gives every form of one key the same canonical key (and the same tombstone)', () => {
    const forms: [TableRef, Map<string, ColumnInfo>, KeyColumn['value'][]][] = [
      [mysql(['id']), table(column('id', 'bigint', { keyPosition: 0 })), [7n, '7', '007', 7]],
      [
        cassandra(['id']),
        table(column('id', 'uuid', { keyPosition: 0, partitionKey: true })),
        ['0E9A8F42-3B7C-4D2E-9F10-6A5B4C3D2E1F', '0e9a8f42-3b7c-4d2e-9f10-6a5b4c3d2e1f'],
      ],
      [
        cassandra(['at']),
        table(column('at', 'timestamp', { keyPosition: 0, fractionalDigits: 3 })),
        ['2024-05-01T12:00:00.123Z', '2024-05-01T14:00:00.123+02:00', '2024-05-01 12:00:00.123'],
      ],
      [
        mysql(['code']),
        table(column('code', 'varchar', { keyPosition: 0, collation: 'utf8mb4_bin' })),
        ['42', 42n],
      ],
      [mysql(['flag']), table(column('flag', 'tinyint', { keyPosition: 0 })), [true, 1n, '1']],
    ];
    for (const [target, columns, values] of forms) {
      const canonical = values.map((value) =>
        canonicalKeyColumns(target, columns, key(target.keyColumns[0]!, value)),
      );
      for (const other of canonical) {
        expect(other).toEqual(canonical[0]);
        expect(tombstoneKey('t', other)).toEqual(tombstoneKey('t', canonical[0]!));
      }
    }
  });

  it('is idempotent over random integer, text and timestamp keys', () => {
    const columns = table(
      column('n', 'int', { keyPosition: 0 }),
      column('s', 'varchar', { keyPosition: 1, collation: 'utf8mb4_nopad_bin', maxLength: 40 }),
      column('at', 'datetime', { keyPosition: 2, fractionalDigits: 6 }),
    );
    const target = mysql(['n', 's', 'at']);
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    // The written form of an instant (any microsecond of years 0001–9999) at
    // an offset, built with Date only to the millisecond and without Date.UTC.
    const written = (at: Date, micro: number, offsetMinutes: number, separator: string) => {
      const local = new Date(at.getTime() + offsetMinutes * 60_000);
      const wall = local.toISOString().slice(0, 23).replace('T', separator) + pad(micro, 3);
      if (offsetMinutes === 0) return `${wall}Z`;
      const abs = Math.abs(offsetMinutes);
      return `${wall}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.oneof(fc.constant('number'), fc.constant('string')),
        fc.string({ maxLength: 40 }),
        fc.oneof(
          fc.date({
            min: new Date('0001-01-02T00:00:00.000Z'),
            max: new Date('9999-12-30T23:59:59.999Z'),
            noInvalidDate: true,
          }),
          // Around the epoch, where negative microseconds need floor division.
          fc.date({
            min: new Date('1969-12-31T23:59:58.000Z'),
            max: new Date('1970-01-01T00:00:01.999Z'),
            noInvalidDate: true,
          }),
        ),
        fc.integer({ min: 0, max: 999 }),
        fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
        fc.constantFrom('T', ' '),
        (n, form, s, at, micro, offsetMinutes, separator) => {
          const utc = written(at, micro, 0, 'T');
          const once = canonicalKeyColumns(target, columns, [
            { name: 'n', value: form === 'number' ? n : String(n) },
            { name: 's', value: s },
            { name: 'at', value: written(at, micro, offsetMinutes, separator) },
          ]);
          expect(canonicalKeyColumns(target, columns, once)).toEqual(once);
          expect(once[0]!.value).toBe(BigInt(n));
          // The canonical timestamp is the instant in UTC with six fractional digits.
          expect(once[2]!.value).toBe(utc);
        },
      ),
    );
  });

  it('refuses a key the column would store as another key, naming the column', () => {
    const cases: [TableRef, ColumnInfo, KeyColumn['value'], string][] = [
      [mysql(['k']), column('k', 'varchar', { collation: 'utf8mb4_bin' }), 'a ', 'trailing spaces'],
      [
        mysql(['k']),
        column('k', 'char', { collation: 'utf8mb4_nopad_bin' }),
        'a ',
        'trailing spaces',
      ],
      [
        mysql(['k']),
        column('k', 'varchar', { collation: 'utf8mb4_bin', maxLength: 3 }),
        'abcd',
        'longer than',
      ],
      [mysql(['k']), column('k', 'binary', { maxLength: 4 }), 'YQ==', 'exactly 4 bytes'],
      [mysql(['k']), column('k', 'int'), 2 ** 31, 'out of range'],
      [mysql(['k']), column('k', 'tinyint', { unsigned: true }), -1n, 'out of range'],
      [
        mysql(['k']),
        column('k', 'datetime', { fractionalDigits: 0 }),
        '2024-01-01T00:00:00.5Z',
        'fractional',
      ],
      [
        cassandra(['k']),
        column('k', 'timestamp', { fractionalDigits: 3 }),
        '2024-01-01T00:00:00.0001Z',
        'fractional',
      ],
      [cassandra(['k']), column('k', 'text', { partitionKey: true }), '', 'cannot be empty'],
      [
        cassandra(['k']),
        column('k', 'timeuuid'),
        '0e9a8f42-3b7c-4d2e-9f10-6a5b4c3d2e1f',
        'version 1',
      ],
      [cassandra(['k']), column('k', 'uuid'), 'not-a-uuid', 'a uuid'],
      [mysql(['k']), column('k', 'varchar', { collation: 'utf8mb4_bin' }), 1.5, 'a string'],
      [
        mysql(['k']),
        column('k', 'varchar', { collation: 'utf8mb3_bin', charset: 'utf8mb3' }),
        'x😀',
        'character set utf8mb3 cannot store',
      ],
      [
        mysql(['k']),
        column('k', 'varchar', { collation: 'latin1_bin', charset: 'latin1' }),
        'ĉ',
        'character set latin1 cannot store',
      ],
      // The driver's LocalDate would store 2024-02-31 as 2024-03-02: two keys for one row.
      [cassandra(['k']), column('k', 'date'), '2024-02-31', 'a date YYYY-MM-DD'],
      [mysql(['k']), column('k', 'date'), '2024-13-01', 'a date YYYY-MM-DD'],
      [mysql(['k']), column('k', 'datetime'), '2024-01-01T25:00:00Z', 'ISO 8601 timestamp'],
      [cassandra(['k']), column('k', 'timestamp'), '2024-02-31T00:00:00Z', 'ISO 8601 timestamp'],
    ];
    for (const [target, info, value, message] of cases) {
      expect(() => canonicalKeyColumns(target, table(info), key('k', value))).toThrow(message);
      try {
        canonicalKeyColumns(target, table(info), key('k', value));
      } catch (error) {
        expect(error).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400 });
      }
    }
  });
});

describe('PostgreSQL keys', () => {
  const postgres = (keyColumns: string[]): TableRef => ({
    ...mysql(keyColumns),
    store: 'postgres',
    schema: 'public',
  });

  it('accepts bytea, uuid and text keys with no collation reported (deterministic), and refuses a nondeterministic one', () => {
    const columns = table(
      column('bin', 'bytea', { keyPosition: 0 }),
      column('u', 'uuid', { keyPosition: 1 }),
      column('code', 'text', { keyPosition: 2 }),
      column('wail_ts', 'bigint'),
    );
    expect(routeTableProblems(postgres(['bin', 'u', 'code']), columns)).toEqual([]);
    expect(routeTableProblems(mysql(['bin', 'u', 'code']), columns)).toHaveLength(1);
    const nondeterministic = table(
      column('code', 'text', { keyPosition: 0, collation: 'ci' }),
      column('wail_ts', 'bigint'),
    );
    expect(routeTableProblems(postgres(['code']), nondeterministic)).toEqual([
      'key column "code" has the nondeterministic collation ci, under which different strings can be one key; use a deterministic collation such as "C"',
    ]);
  });

  it('refuses an array key column as a route problem', () => {
    const columns = table(column('id', 'int[]', { keyPosition: 0 }), column('wail_ts', 'bigint'));
    expect(routeTableProblems(postgres(['id']), columns)).toEqual([
      expect.stringContaining('key column "id" has type int[]'),
    ]);
  });

  it('makes bytea keys bytes from base64, and refuses U+0000 in a text key and trailing spaces in a char key', () => {
    const columns = table(
      column('bin', 'bytea', { keyPosition: 0 }),
      column('code', 'text', { keyPosition: 1 }),
      column('fixed', 'char', { keyPosition: 2, maxLength: 3 }),
      column('wail_ts', 'bigint'),
    );
    const target = postgres(['bin', 'code', 'fixed']);
    expect(
      canonicalKeyColumns(target, columns, [
        { name: 'bin', value: 'AP8=' },
        { name: 'code', value: 'a b' },
        { name: 'fixed', value: 'ab' },
      ]),
    ).toEqual([
      { name: 'bin', value: new Uint8Array([0, 255]) },
      { name: 'code', value: 'a b' },
      { name: 'fixed', value: 'ab' },
    ]);
    expect(() =>
      canonicalKeyColumns(target, columns, [{ name: 'code', value: 'a\u0000' }]),
    ).toThrow(/U\+0000/);
    expect(() => canonicalKeyColumns(target, columns, [{ name: 'fixed', value: 'a ' }])).toThrow(
      /trailing spaces/,
    );
    // MySQL text keys may hold U+0000.
    expect(
      canonicalKeyColumns(mysql(['code']), columns, [{ name: 'code', value: 'a\u0000' }]),
    ).toEqual([{ name: 'code', value: 'a\u0000' }]);
  });
});
