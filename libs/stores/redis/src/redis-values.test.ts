import type { KeyColumn } from '@wail/intent';
import { columnsFromModel, type RedisColumnInfo } from './redis-columns';
import { fromRedisField, rowKey, toRedisField } from './redis-values';

const columns = columnsFromModel(
  {
    type: 'record',
    name: 'T',
    fields: [
      { name: 'n', type: 'int' },
      { name: 'big', type: 'long' },
      { name: 'money', type: { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 } },
      { name: 'at_ms', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'raw', type: 'bytes' },
      { name: 'maybe', type: ['null', 'string'] },
      { name: 's', type: 'string' },
    ],
  },
  [],
);
const column = (name: string): RedisColumnInfo => columns.get(name)!;

describe('toRedisField and fromRedisField', () => {
  it('round-trip each type through its JSON text', () => {
    const cases: [string, Parameters<typeof toRedisField>[1], string, unknown][] = [
      ['n', '12', '12', 12],
      ['big', '-9223372036854775808', '-9223372036854775808', -(2n ** 63n)],
      ['money', 1.5, '"1.50"', '1.50'],
      ['money', '-0.00', '"0.00"', '0.00'],
      [
        'at_ms',
        '2024-01-01T00:00:00.999999Z',
        '"2024-01-01T00:00:00.999000Z"',
        '2024-01-01T00:00:00.999000Z',
      ],
      [
        'at',
        '1969-12-31T23:59:59.5Z',
        '"1969-12-31T23:59:59.500000Z"',
        '1969-12-31T23:59:59.500000Z',
      ],
      ['raw', 'AP8=', '"AP8="', Buffer.from([0, 255])],
      ['maybe', null, 'null', null],
      ['s', 'line\n"quoted" \ud800', '"line\\n\\"quoted\\" \\ud800"', 'line\n"quoted" \ud800'],
    ];
    for (const [name, value, text, stored] of cases) {
      expect(toRedisField(column(name), value)).toBe(text);
      expect(fromRedisField(column(name), text)).toEqual(stored);
    }
  });

  it('refuses values out of their type’s range or precision', () => {
    for (const [name, value] of [
      ['n', 2 ** 31],
      ['big', '9223372036854775808'],
      ['money', '1000.00'],
      ['money', '1.001'],
      ['money', 1e21],
      ['s', null],
      ['s', 3],
    ] as const) {
      expect(() => toRedisField(column(name), value)).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
    }
  });

  it('hands back a field that does not hold its column type as it is, for the mapper to judge', () => {
    expect(fromRedisField(column('n'), '"7"')).toBe('7');
    expect(fromRedisField(column('n'), 'not json')).toBe('not json');
  });
});

describe('rowKey', () => {
  const key = (...values: KeyColumn['value'][]): KeyColumn[] =>
    values.map((value, index) => ({ name: `k${index}`, value }));

  it('is readable: the prefix, then one component per key column', () => {
    expect(rowKey('shop:carts', key(42n, 'alice', true, new Uint8Array([0, 255])))).toBe(
      'shop:carts:42:alice:true:00ff',
    );
    expect(rowKey('p', key('2024-05-01T12:00:00.000000Z'))).toBe(
      'p:2024-05-01T12%3A00%3A00.000000Z',
    );
  });

  it('is injective: separators, escapes and control characters inside text are escaped', () => {
    const keys = [
      key('a:b', 'c'),
      key('a', 'b:c'),
      key('a%3Ab', 'c'),
      key('a\u0000', 'b'),
      key('a', ''),
      key('', 'a'),
      key('a%', 'b'),
    ].map((k) => rowKey('p', k));
    expect(new Set(keys).size).toBe(keys.length);
    expect(rowKey('p', key('a:b', 'c'))).toBe('p:a%3Ab:c');
    expect(rowKey('p', key('a%3Ab', 'c'))).toBe('p:a%253Ab:c');
  });

  it('refuses text that is not valid Unicode, which Redis would turn into another key', () => {
    expect(() => rowKey('p', key('\ud800'))).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }),
    );
    expect(rowKey('p', key('😀'))).toBe('p:😀');
  });
});
