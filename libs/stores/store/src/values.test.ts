import { WailError } from '@wail/errors';
import { canonicalKeyColumns } from './keys';
import type { TableRef } from './store';
import {
  isoToMicros,
  microsToIso,
  storedToJson,
  toBigInt,
  toBytes,
  toDateString,
  toDecimalString,
} from './values';

/** The error `fn` throws: a BAD_REQUEST naming `column`. */
function refusal(fn: () => unknown, column: string): WailError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(WailError);
  expect(thrown).toMatchObject({ code: 'BAD_REQUEST', statusCode: 400, details: { column } });
  expect((thrown as Error).message).toContain(`column "${column}"`);
  return thrown as WailError;
}

describe('value conversion', () => {
  it('parses ISO timestamps to microseconds, with offsets and fractions', () => {
    expect(isoToMicros('t', '1970-01-01T00:00:00Z')).toBe(0n);
    expect(isoToMicros('t', '2024-05-01T12:00:00.123456Z')).toBe(1714564800123456n);
    expect(isoToMicros('t', '2024-05-01T14:00:00.123456+02:00')).toBe(1714564800123456n);
    expect(isoToMicros('t', '2024-05-01 12:00:00')).toBe(1714564800000000n);
    expect(microsToIso(1714564800123456n)).toBe('2024-05-01T12:00:00.123456Z');
  });

  it('keeps pre-1970 timestamps exact both ways (floor, not truncation)', () => {
    const cases: [string, bigint][] = [
      ['1969-12-31T23:59:59.999999Z', -1n],
      ['1969-12-31T23:59:59.000001Z', -999_999n],
      ['1969-12-31T23:59:59.000000Z', -1_000_000n],
      ['1969-12-31T23:59:58.999999Z', -1_000_001n],
      ['1969-07-20T20:17:40.500000Z', -14_182_939_500_000n],
      ['1000-01-01T00:00:00.000001Z', -30_610_224_000_000_000n + 1n],
    ];
    for (const [iso, micros] of cases) {
      expect(isoToMicros('t', iso)).toBe(micros);
      expect(microsToIso(micros)).toBe(iso);
      expect(microsToIso(isoToMicros('t', microsToIso(micros)))).toBe(iso);
    }
    expect(isoToMicros('t', '1970-01-01T00:59:59.999999+01:00')).toBe(-1n);
  });

  it('keeps years 0000–0099 as written (Date.UTC would make them 1900–1999)', () => {
    const cases: [string, bigint][] = [
      ['0050-01-01T00:00:00.000000Z', -60_589_296_000_000_000n],
      ['0001-01-01T00:00:00.000000Z', -62_135_596_800_000_000n],
      ['0000-01-01T00:00:00.000000Z', -62_167_219_200_000_000n],
      ['0099-12-31T23:59:59.999999Z', -59_011_459_200_000_001n],
    ];
    for (const [iso, micros] of cases) {
      expect(isoToMicros('t', iso)).toBe(micros);
      expect(microsToIso(micros)).toBe(iso);
    }
    expect(microsToIso(isoToMicros('t', '0050-01-01T01:00:00+01:00'))).toBe(
      '0050-01-01T00:00:00.000000Z',
    );
    expect(toDateString('d', '0050-01-01')).toBe('0050-01-01');
    expect(toDateString('d', '0000-02-29')).toBe('0000-02-29');
  });

  it('refuses timestamps with a field out of range, naming the column', () => {
    for (const value of [
      '2024-13-01T00:00:00Z',
      '2024-00-01T00:00:00Z',
      '2024-02-31T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-01-00T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T25:00:00Z',
      '2024-01-01T00:60:00Z',
      '2024-01-01T00:61:00Z',
      '2024-01-01T00:00:60Z',
      '2024-01-01T00:00:61Z',
      '2024-01-01T00:00:00+01:60',
      '2024-01-01T00:00:00-0075',
      '2024-01-01T00:00:00+24:00',
      // Outside years 0000–9999 once the offset is applied: no four-digit form to give back.
      '0000-01-01T00:00:00+00:01',
      '9999-12-31T23:59:59.999999-00:01',
    ]) {
      const error = refusal(() => isoToMicros('at', value), 'at');
      expect(error.message).toContain('ISO 8601 timestamp');
    }
  });

  it('accepts every offset from -23:59 to +23:59', () => {
    expect(isoToMicros('t', '2024-01-01T14:00:00+14:00')).toBe(
      isoToMicros('t', '2024-01-01T00:00:00Z'),
    );
    expect(isoToMicros('t', '2023-12-31T12:00:00-12:00')).toBe(
      isoToMicros('t', '2024-01-01T00:00:00Z'),
    );
    expect(isoToMicros('t', '2024-01-01T05:29:00+0530')).toBe(
      isoToMicros('t', '2023-12-31T23:59:00Z'),
    );
    expect(microsToIso(isoToMicros('t', '2024-01-01T00:00:00-23:59'))).toBe(
      '2024-01-01T23:59:00.000000Z',
    );
    expect(microsToIso(isoToMicros('t', '9999-12-31T23:59:59.999999Z'))).toBe(
      '9999-12-31T23:59:59.999999Z',
    );
  });

  it('refuses dates that do not exist (the Cassandra driver would roll them over)', () => {
    expect(toDateString('d', '2024-02-29')).toBe('2024-02-29');
    expect(toDateString('d', '2000-02-29')).toBe('2000-02-29');
    expect(toDateString('d', '9999-12-31')).toBe('9999-12-31');
    for (const value of [
      '2024-02-31',
      '2024-02-30',
      '2023-02-29',
      '1900-02-29',
      '2024-04-31',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '2024-01-32',
      '2024-1-01',
    ]) {
      const error = refusal(() => toDateString('day', value), 'day');
      expect(error.message).toContain('a date YYYY-MM-DD');
    }
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
