import fc from 'fast-check';
import { WailError } from '@wail/errors';
import type { KeyColumn } from '@wail/intent';
import {
  SCAN_CURSOR_MAX_LENGTH,
  checkScanRequest,
  conditionHolds,
  decodeScanCursor,
  encodeScanCursor,
  pageConditions,
  scanPage,
  scannedKey,
} from './scan';
import { SCAN_PAGE_LIMIT, type ColumnInfo, type TableRef } from './store';

const column = (name: string, type: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  type,
  nullable: false,
  optional: false,
  ...extra,
});
const columns = new Map(
  [
    column('tenant', 'bigint', { keyPosition: 0 }),
    column('name', 'varchar', { keyPosition: 1, collation: 'utf8mb4_bin', maxLength: 4000 }),
    column('bin', 'varbinary', { keyPosition: 2, maxLength: 4000 }),
    column('note', 'text', { nullable: true }),
    column('wail_ts', 'bigint'),
  ].map((c) => [c.name, c]),
);
const target: TableRef = {
  store: 'mysql',
  namespace: 'db',
  table: 't',
  keyColumns: ['tenant', 'name', 'bin'],
};
const key = (tenant: bigint, name: string, bin: number[]): KeyColumn[] => [
  { name: 'tenant', value: tenant },
  { name: 'name', value: name },
  { name: 'bin', value: new Uint8Array(bin) },
];

const badRequest = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WailError);
    expect((error as WailError).code).toBe('BAD_REQUEST');
    return;
  }
  throw new Error('expected BAD_REQUEST');
};

describe('scan cursors', () => {
  it('round-trip canonical keys: 64-bit integers, unicode text, bytes', () => {
    for (const k of [
      key(2n ** 63n - 1n, 'ünïcødé 🦄 "quoted" \\', [0, 255, 1]),
      key(-(2n ** 63n), '', []),
      key(0n, 'a', [7]),
    ]) {
      const cursor = encodeScanCursor(k)!;
      expect(cursor).toMatch(/^[\x21-\x7e]+$/);
      expect(decodeScanCursor(target, columns, cursor)).toEqual(k);
    }
  });

  it('round-trip any key (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.string({ unit: 'grapheme', maxLength: 50 }).filter((s) => !s.endsWith(' ')),
        fc.uint8Array({ maxLength: 40 }),
        (tenant, name, bin) => {
          const k = key(tenant, name, [...bin]);
          expect(decodeScanCursor(target, columns, encodeScanCursor(k))).toEqual(k);
        },
      ),
    );
  });

  it('are undefined when longer than allowed', () => {
    expect(encodeScanCursor(key(1n, 'x'.repeat(3100), []))).toBeUndefined();
    expect(encodeScanCursor(key(1n, 'x'.repeat(2000), []))!.length).toBeLessThanOrEqual(
      SCAN_CURSOR_MAX_LENGTH,
    );
  });

  it('refuse garbage with BAD_REQUEST', () => {
    const good = encodeScanCursor(key(5n, 'a', [1]))!;
    const encode = (json: string) => `k1.${Buffer.from(json).toString('base64url')}`;
    for (const garbage of [
      '',
      'k1.',
      'k1.!!!',
      good.slice(0, -2),
      `${good}A`,
      good.replace('k1.', 'k2.'),
      'x'.repeat(5000),
      encode('{}'),
      encode('[]'),
      encode('null'),
      encode('[["i","5"],["s","a"]]'),
      encode('[["i","5"],["s","a"],["b","AQ=="],["s","x"]]'),
      encode('[["i","5.5"],["s","a"],["b","AQ=="]]'),
      encode('[["i","05"],["s","a"],["b","AQ=="]]'),
      encode('[["i","-0"],["s","a"],["b","AQ=="]]'),
      encode('[["i","99999999999999999999"],["s","a"],["b","AQ=="]]'),
      encode('[["s","5"],["s","a"],["b","AQ=="]]'),
      encode('[["i","5"],["i","7"],["b","AQ=="]]'),
      encode('[["i","5"],["s","a "],["b","AQ=="]]'),
      encode('[["i","5"],["s","a"],["b","AQ"]]'),
      encode('[["i","5"],["s","a"],["s","AQ=="]]'),
      encode('[["i","5"],["s","a"],["b","AQ==", 1]]'),
      encode('[["i",5],["s","a"],["b","AQ=="]]'),
      encode('[["i","5"],["s",null],["b","AQ=="]]'),
      encode('[["i","5"],["s","a"],["b","AQ=="]'),
      42,
      null,
    ]) {
      badRequest(() => decodeScanCursor(target, columns, garbage));
    }
  });

  it('refuse random strings with BAD_REQUEST, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String().map((s) => `k1.${s}`),
        ),
        (garbage) => {
          try {
            decodeScanCursor(target, columns, garbage);
          } catch (error) {
            expect((error as WailError).code).toBe('BAD_REQUEST');
          }
        },
      ),
    );
  });
});

describe('checkScanRequest', () => {
  it('accepts known columns and operators', () => {
    const where = [
      { column: 'note', op: '=', value: null },
      { column: 'tenant', op: '>=', value: 3 },
    ] as const;
    expect(checkScanRequest({ target, limit: 10, where }, columns)).toEqual(where);
  });

  it('refuses limits outside 1..SCAN_PAGE_LIMIT', () => {
    for (const limit of [0, -1, 1.5, SCAN_PAGE_LIMIT + 1, NaN, '10' as unknown as number])
      badRequest(() => checkScanRequest({ target, limit }, columns));
    expect(checkScanRequest({ target, limit: SCAN_PAGE_LIMIT }, columns)).toEqual([]);
  });

  it('refuses unknown columns (naming them), operators, null ordering and objects', () => {
    try {
      checkScanRequest(
        { target, limit: 1, where: [{ column: 'nope', op: '=', value: 1 }] },
        columns,
      );
    } catch (error) {
      expect((error as WailError).message).toContain('"nope"');
    }
    for (const condition of [
      { column: 'nope', op: '=', value: 1 },
      { column: 'note`; DROP TABLE t; --', op: '=', value: 1 },
      { column: 42, op: '=', value: 1 },
      { column: 'note', op: 'LIKE', value: 'x' },
      { column: 'note', op: '<', value: null },
      { column: 'note', op: '=', value: ['x'] },
      { column: 'note', op: '=', value: { a: 1 } },
      { column: 'note', op: '=' },
    ])
      badRequest(() =>
        checkScanRequest({ target, limit: 1, where: [condition as never] }, columns),
      );
  });
});

describe('scanPage', () => {
  const row = (name: string) => ({ key: key(1n, name, []), version: 1n });

  it('has no cursor when no row follows the page', () => {
    expect(scanPage(target, [row('a'), row('b')], 2)).toEqual({
      rows: [row('a'), row('b')],
      cursor: undefined,
    });
  });

  it('ends after the last row when more follow', () => {
    const page = scanPage(target, [row('a'), row('b'), row('c')], 2);
    expect(page.rows).toEqual([row('a'), row('b')]);
    expect(decodeScanCursor(target, columns, page.cursor)).toEqual(row('b').key);
  });

  it('ends early after the last row whose key fits a cursor', () => {
    const long = 'z'.repeat(3100);
    const page = scanPage(target, [row('a'), row(long), row('zz')], 2);
    expect(page.rows).toEqual([row('a')]);
    expect(decodeScanCursor(target, columns, page.cursor)).toEqual(row('a').key);
    expect(() => scanPage(target, [row(long), row('zz')], 1)).toThrow(/too long/);
  });
});

describe('scannedKey', () => {
  it('is the canonical key of a row', () => {
    expect(scannedKey(target, columns, key(7n, 'a', [1]))).toEqual(key(7n, 'a', [1]));
  });

  it('stops at a row WAIL cannot name with DATABASE_REJECTED', () => {
    expect(() => scannedKey(target, columns, key(7n, 'a ', [1]))).toThrow(
      expect.objectContaining({ code: 'DATABASE_REJECTED' }),
    );
  });
});

describe('conditions a store evaluates on each page', () => {
  const compare = (a: number, b: number) => a - b;
  it('holds null only for = null and != a value, never an order', () => {
    expect(conditionHolds({ op: '=', value: null }, null, compare)).toBe(true);
    expect(conditionHolds({ op: '!=', value: null }, null, compare)).toBe(false);
    expect(conditionHolds({ op: '!=', value: 3 }, null, compare)).toBe(true);
    expect(conditionHolds({ op: '=', value: 3 }, undefined, compare)).toBe(false);
    expect(conditionHolds({ op: '<', value: 3 }, null, compare)).toBe(false);
    expect(conditionHolds({ op: '<', value: 3 }, 2, compare)).toBe(true);
    expect(conditionHolds({ op: '>=', value: 3 }, 3, compare)).toBe(true);
    // Values that do not compare hold no order and no equality.
    expect(conditionHolds({ op: '=', value: 3 }, 3, () => undefined)).toBe(false);
    expect(conditionHolds({ op: '<=', value: 3 }, 3, () => undefined)).toBe(false);
  });

  it('refuses an order on a type that has none, and a type it cannot compare', () => {
    const columns = new Map([
      ['flag', { name: 'flag', type: 'boolean', nullable: true, optional: true }],
      ['tags', { name: 'tags', type: 'set<text>', nullable: true, optional: true }],
    ]);
    const types = {
      store: 'Test',
      ordered: new Set<string>(),
      equalityOnly: new Set(['boolean']),
      convert: (_column: unknown, value: unknown) => value,
    };
    expect(pageConditions([{ column: 'flag', op: '=', value: true }], columns, types)).toEqual([
      { column: columns.get('flag'), op: '=', value: true },
    ]);
    expect(() =>
      pageConditions([{ column: 'flag', op: '<', value: true }], columns, types),
    ).toThrow(/no order/);
    expect(() => pageConditions([{ column: 'tags', op: '=', value: 'a' }], columns, types)).toThrow(
      /cannot compare Test set<text>/,
    );
  });
});
