import { types } from 'cassandra-driver';
import type { ColumnInfo, TableRef } from '@wail/store';
import {
  checkedConditions,
  checkedLimit,
  cursorFromPageState,
  holds,
  pageStateFromCursor,
} from './cassandra-scan';

const target: TableRef = { store: 'cassandra', namespace: 'ks', table: 't', keyColumns: ['id'] };
const column = (name: string, type: string): [string, ColumnInfo] => [
  name,
  { name, type, nullable: true, optional: true },
];
const columns = new Map([
  column('id', 'text'),
  column('qty', 'int'),
  column('big', 'bigint'),
  column('price', 'decimal'),
  column('at', 'timestamp'),
  column('day', 'date'),
  column('ref', 'uuid'),
  column('tags', 'list'),
]);
const one = (name: string, op: '=' | '!=' | '<' | '>=', value: unknown) =>
  checkedConditions(target, columns, [{ column: name, op, value: value as never }])[0]!;

describe('cursors', () => {
  it('round-trip a page state and refuse what the adapter did not hand out', () => {
    const state = Buffer.from('0010000000', 'hex');
    const cursor = cursorFromPageState(target, state)!;
    expect(cursor).toMatch(/^c1\.[A-Za-z0-9_-]+$/);
    expect(pageStateFromCursor(cursor)).toEqual(state);
    expect(cursorFromPageState(target, undefined)).toBeUndefined();
    for (const bad of ['', 'c1.', 'AAAA', 'c1.AA==', `c1.${'A'.repeat(4094)}`, 'c1.A'])
      expect(() => pageStateFromCursor(bad)).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      );
  });

  it('refuse a page state too long for a cursor', () => {
    expect(() => cursorFromPageState(target, Buffer.alloc(3100))).toThrow(
      expect.objectContaining({ code: 'DATABASE_REJECTED' }),
    );
  });

  it('take limits 1..SCAN_PAGE_LIMIT', () => {
    for (const bad of [0, 10_001, 0.5])
      expect(() => checkedLimit(bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('conditions', () => {
  it('compare driver values in CQL order, null only as IS NULL / IS NOT NULL', () => {
    expect(holds(one('qty', '<', '10'), 9)).toBe(true);
    // null differs from 10, as the SQL stores' scans say.
    expect(holds(one('qty', '!=', 10), null)).toBe(true);
    expect(holds(one('qty', '=', null), null)).toBe(true);
    expect(holds(one('big', '>=', '9007199254740993'), 9007199254740992n)).toBe(false);
    expect(holds(one('price', '<', '10.5'), types.BigDecimal.fromString('10.49'))).toBe(true);
    expect(
      holds(one('at', '<', '2024-05-01T14:00:00+02:00'), new Date('2024-05-01T11:59:59Z')),
    ).toBe(true);
    expect(holds(one('day', '>=', '2024-02-10'), types.LocalDate.fromString('2024-02-09'))).toBe(
      false,
    );
    expect(holds(one('id', '<', '\uffff'), '😀')).toBe(false);
    const uuid = '6f1e0f5e-7c1a-4e8b-9a7d-2f0c1b2a3d4e';
    expect(holds(one('ref', '=', uuid), types.Uuid.fromString(uuid))).toBe(true);
  });

  it('refuse unknown columns, wrong values, unordered orders and uncomparable types', () => {
    for (const [name, op, value] of [
      ['nope', '=', 1],
      ['qty', '=', 'x'],
      ['ref', '<', '6f1e0f5e-7c1a-4e8b-9a7d-2f0c1b2a3d4e'],
      ['qty', '>=', null],
      ['tags', '=', [1]],
    ] as const)
      expect(() => one(name, op, value)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
