import { canonicalKeyColumns, routeTableProblems, type TableRef } from '@wail/store';
import { columnsFromModel } from './redis-columns';

const record = (fields: unknown[]) => ({ type: 'record', name: 'T', fields });

describe('columnsFromModel', () => {
  it('maps every Avro column type to the store-neutral type names', () => {
    const columns = columnsFromModel(
      record([
        { name: 'id', type: 'long' },
        { name: 'n', type: 'int' },
        { name: 's', type: 'string' },
        { name: 'b', type: 'boolean' },
        { name: 'raw', type: 'bytes' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 'u', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'at_ms', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'tod', type: { type: 'int', logicalType: 'time-millis' } },
        { name: 'money', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'boxed', type: { type: 'string' } },
      ]),
      ['id'],
    );
    expect(Object.fromEntries([...columns].map(([name, column]) => [name, column.type]))).toEqual({
      id: 'bigint',
      n: 'int',
      s: 'text',
      b: 'boolean',
      raw: 'blob',
      f: 'float',
      d: 'double',
      u: 'uuid',
      day: 'date',
      at: 'timestamp',
      at_ms: 'timestamp',
      tod: 'int',
      money: 'decimal',
      boxed: 'text',
      wail_ts: 'bigint',
    });
    expect(columns.get('at')).toMatchObject({ fractionalDigits: 6 });
    expect(columns.get('at_ms')).toMatchObject({ fractionalDigits: 3 });
    expect(columns.get('money')).toMatchObject({ precision: 10, scale: 2 });
    expect(columns.get('wail_ts')).toEqual({
      name: 'wail_ts',
      type: 'bigint',
      nullable: false,
      optional: false,
    });
  });

  it('makes a nullable union nullable and optional, a default optional, anything else required', () => {
    const columns = columnsFromModel(
      record([
        { name: 'id', type: 'string' },
        { name: 'a', type: ['null', 'string'], default: null },
        { name: 'b', type: ['int', 'null'], default: 3 },
        { name: 'c', type: 'string', default: 'x' },
        { name: 'd', type: 'string' },
      ]),
      ['id'],
    );
    expect(columns.get('a')).toMatchObject({ nullable: true, optional: true });
    expect(columns.get('a')!.defaultValue).toBeUndefined();
    expect(columns.get('b')).toMatchObject({ nullable: true, optional: true, defaultValue: 3 });
    expect(columns.get('c')).toMatchObject({ nullable: false, optional: true, defaultValue: 'x' });
    expect(columns.get('d')).toMatchObject({ nullable: false, optional: false });
  });

  it('gives defaults in the JSON form a client writes', () => {
    const columns = columnsFromModel(
      record([
        { name: 'id', type: 'string' },
        { name: 'big', type: 'long', default: 42 },
        { name: 'raw', type: 'bytes', default: '\u0000\u00ff' },
        { name: 'day', type: { type: 'int', logicalType: 'date' }, default: 1 },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 1500 },
        {
          name: 'money',
          type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 },
          default: '\u00ff\u0006',
        },
      ]),
      ['id'],
    );
    expect(columns.get('big')!.defaultValue).toBe('42');
    expect(columns.get('raw')!.defaultValue).toBe(Buffer.from([0, 255]).toString('base64'));
    expect(columns.get('day')!.defaultValue).toBe('1970-01-02');
    expect(columns.get('at')!.defaultValue).toBe('1970-01-01T00:00:01.500000Z');
    // 0xff06 = -250 unscaled, at scale 2.
    expect(columns.get('money')!.defaultValue).toBe('-2.50');
  });

  it('takes the primary key from the route, in its order, and fits routeTableProblems', () => {
    const model = record([
      { name: 'b', type: 'string' },
      { name: 'a', type: 'long' },
      { name: 'v', type: 'string' },
    ]);
    const target: TableRef = { store: 'redis', namespace: 'p', table: 't', keyColumns: ['a', 'b'] };
    const columns = columnsFromModel(model, target.keyColumns);
    expect(columns.get('a')!.keyPosition).toBe(0);
    expect(columns.get('b')!.keyPosition).toBe(1);
    expect(columns.get('v')!.keyPosition).toBeUndefined();
    expect(routeTableProblems(target, columns)).toEqual([]);
    expect(
      routeTableProblems(
        { ...target, keyColumns: ['a', 'x'] },
        columnsFromModel(model, ['a', 'x']),
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('no key column x')]));
  });

  it('gives key columns that canonicalKeyColumns makes canonical (7 = "7", uuids lower case)', () => {
    const target: TableRef = { store: 'redis', namespace: 'p', table: 't', keyColumns: ['n', 'u'] };
    const columns = columnsFromModel(
      record([
        { name: 'n', type: 'long' },
        { name: 'u', type: { type: 'string', logicalType: 'uuid' } },
      ]),
      target.keyColumns,
    );
    const upper = '0E8C2D1A-7F00-4B5B-9C3E-1A2B3C4D5E6F';
    expect(
      canonicalKeyColumns(target, columns, [
        { name: 'n', value: '7' },
        { name: 'u', value: upper },
      ]),
    ).toEqual([
      { name: 'n', value: 7n },
      { name: 'u', value: upper.toLowerCase() },
    ]);
  });

  it('refuses types a row cannot hold', () => {
    for (const type of [
      { type: 'array', items: 'string' },
      { type: 'record', name: 'R', fields: [] },
      ['null', 'string', 'int'],
      'fixed',
    ]) {
      expect(() => columnsFromModel(record([{ name: 'x', type }]), [])).toThrow(
        expect.objectContaining({ code: 'ROUTE_MISMATCH' }),
      );
    }
    expect(() => columnsFromModel({ type: 'string' }, [])).toThrow(
      expect.objectContaining({ code: 'ROUTE_MISMATCH' }),
    );
  });
});
