import { WailError } from '@wail/errors';
import { canonicalKeyColumns } from './keys';
import type { TableRef } from './store';
import {
  isoToMicros,
  microsToIso,
  storedToJson,
  toBigInt,
  toBytes,
  toDecimalString,
} from './values';

describe('value conversion', () => {
  it('parses ISO timestamps to microseconds, with offsets and fractions', () => {
    expect(isoToMicros('t', '1970-01-01T00:00:00Z')).toBe(0n);
    expect(isoToMicros('t', '2024-05-01T12:00:00.123456Z')).toBe(1714564800123456n);
    expect(isoToMicros('t', '2024-05-01T14:00:00.123456+02:00')).toBe(1714564800123456n);
    expect(isoToMicros('t', '2024-05-01 12:00:00')).toBe(1714564800000000n);
    expect(microsToIso(1714564800123456n)).toBe('2024-05-01T12:00:00.123456Z');
  });

  it('keeps integers exact beyond 2^53', () => {
    expect(toBigInt('id', '9007199254740993')).toBe(9007199254740993n);
    expect(storedToJson(9007199254740993n)).toBe('9007199254740993');
    expect(storedToJson(42n)).toBe(42);
  });

  it('reports the column and the expected type for a wrong value', () => {
    expect(() => toBigInt('qty', 'many')).toThrow(WailError);
    expect(() => toBigInt('qty', 1.5)).toThrow('column "qty": expected an integer, got 1.5');
    expect(() => toDecimalString('price', '12,5')).toThrow('expected a decimal');
    expect(() => toBytes('blob', 'not base64!')).toThrow('base64');
    expect(toBytes('blob', 'aGk=')).toEqual(Buffer.from('hi'));
  });
});

describe('canonicalKeyColumns (integers)', () => {
  const target: TableRef = {
    store: 'mysql',
    namespace: 'db',
    table: 't',
    keyColumns: ['id', 'code'],
  };
  const columns = new Map([
    ['id', { name: 'id', type: 'bigint', nullable: false, optional: false }],
    ['code', { name: 'code', type: 'varchar', nullable: false, optional: false }],
  ]);

  it('types integer key columns as bigint, whatever the client sent', () => {
    expect(
      canonicalKeyColumns(target, columns, [
        { name: 'id', value: '7' },
        { name: 'code', value: '7' },
      ]),
    ).toEqual([
      { name: 'id', value: 7n },
      { name: 'code', value: '7' },
    ]);
  });

  it("refuses an integer key beyond 64 bits as the client's mistake", () => {
    expect(() =>
      canonicalKeyColumns(target, columns, [{ name: 'id', value: '9223372036854775808' }]),
    ).toThrow('fits in 64 bits');
  });
});
