import type { KeyColumn } from '@wail/intent';
import type { TableRef } from '@wail/store';
import { columnsFromModel } from './redis-columns';
import {
  checkedConditions,
  checkedLimit,
  holds,
  keyFromRowKey,
  matchPattern,
  positionFromCursor,
} from './redis-scan';
import { rowKey } from './redis-values';

const target: TableRef = {
  store: 'redis',
  namespace: 'app:t',
  table: 't',
  keyColumns: ['name', 'id', 'flag', 'raw', 'at'],
};
const columns = columnsFromModel(
  {
    type: 'record',
    name: 'T',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'id', type: 'long' },
      { name: 'flag', type: 'boolean' },
      { name: 'raw', type: 'bytes' },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'qty', type: ['null', 'int'], default: null },
      { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } },
    ],
  },
  target.keyColumns,
);

describe('keyFromRowKey', () => {
  const key: KeyColumn[] = [
    { name: 'name', value: 'a:b%c\u0001ü😀' },
    { name: 'id', value: -(2n ** 63n) },
    { name: 'flag', value: false },
    { name: 'raw', value: new Uint8Array([0, 255, 16]) },
    { name: 'at', value: '2024-05-01T12:00:00.123456Z' },
  ];

  it('inverts rowKey into the canonical key', () => {
    expect(keyFromRowKey(target, columns, rowKey(target.namespace, key))).toEqual(key);
  });

  it('refuses keys rowKey would not have written for this table', () => {
    const good = rowKey(target.namespace, key);
    for (const other of [
      good.replace('app:t:', 'app:u:'),
      `${good}:extra`,
      good.replace(':-9223372036854775808:', ':-09223372036854775808:'),
      good.replace(':false:', ':FALSE:'),
      good.replace(':00ff10:', ':00FF10:'),
      good.replace('%3A', '%3a'),
      good.replace('%25', '%'),
      good.replace(':2024-05-01T12%3A00%3A00.123456Z', ':2024-05-01T12%3A00%3A00.123Z'),
      'app:t',
      'app:tt:x',
    ])
      expect(keyFromRowKey(target, columns, other)).toBeUndefined();
  });
});

describe('cursors and limits', () => {
  it('reads a SCAN cursor or a batch cursor and refuses anything else', () => {
    expect(positionFromCursor(undefined)).toEqual({ scan: '0' });
    expect(positionFromCursor('18446744073709551615')).toEqual({ scan: '18446744073709551615' });
    const after = 'A'.repeat(43);
    expect(positionFromCursor(`0.97.${after}`)).toEqual({ scan: '0', count: 97, after });
    for (const bad of [
      '',
      '0',
      '01',
      '-1',
      '18446744073709551616',
      'x',
      `0.10001.${after}`,
      `0.97.${after}=`,
    ])
      expect(() => positionFromCursor(bad)).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
  });

  it('takes limits 1..SCAN_PAGE_LIMIT', () => {
    expect(checkedLimit(1)).toBe(1);
    expect(checkedLimit(10_000)).toBe(10_000);
    for (const bad of [0, 10_001, 1.5, Number.NaN])
      expect(() => checkedLimit(bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('escapes glob characters of the prefix', () => {
    expect(matchPattern('a*b?[c]\\d')).toBe('a\\*b\\?\\[c\\]\\\\d:*');
  });
});

describe('conditions', () => {
  const one = (column: string, op: '=' | '!=' | '<' | '>=', value: unknown) =>
    checkedConditions(target, columns, [{ column, op, value: value as never }])[0]!;

  it('compare in the type order, null only as IS NULL / IS NOT NULL', () => {
    expect(holds(one('qty', '<', '10'), 9)).toBe(true);
    expect(holds(one('qty', '<', 10), 10)).toBe(false);
    // null differs from 10, as the SQL stores' scans say.
    expect(holds(one('qty', '!=', 10), null)).toBe(true);
    expect(holds(one('qty', '=', null), null)).toBe(true);
    expect(holds(one('qty', '!=', null), 0)).toBe(true);
    expect(holds(one('price', '>=', '9.5'), '10.00')).toBe(true);
    expect(holds(one('price', '<', 10), '9.99')).toBe(true);
    expect(holds(one('id', '>=', '9007199254740993'), 9007199254740992n)).toBe(false);
    expect(holds(one('name', '<', '\uffff'), '😀')).toBe(false);
    expect(holds(one('at', '<', '2024-05-01T14:00:00+02:00'), '2024-05-01T11:59:59.999999Z')).toBe(
      true,
    );
  });

  it('refuse unknown columns, wrong values and orders a type lacks', () => {
    for (const [column, op, value] of [
      ['nope', '=', 1],
      ['qty', '=', 'x'],
      ['price', '=', '1.234'],
      ['flag', '<', true],
      ['qty', '<', null],
      ['bad name', '=', 1],
    ] as const)
      expect(() => one(column, op, value)).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
  });
});
