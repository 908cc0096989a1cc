import { Type } from 'avsc';
import { READABLE_LOGICAL_TYPES, isoToMicros, microsToIso } from './avro-readable';

describe('microsecond timestamps as text', () => {
  it.each([0, 1, 999, 1_000, 1_764_709_200_123_456, -1, -1_001])(
    'reads back %d from its ISO text',
    (micros) => {
      expect(isoToMicros(microsToIso(micros))).toBe(micros);
    },
  );

  it('keeps the microseconds in the text', () => {
    expect(microsToIso(1_764_709_200_123_456)).toBe('2025-12-02T21:00:00.123456Z');
  });
});

describe('readable logical types', () => {
  it('shows dates, decimals and timestamps as text', () => {
    const type = Type.forSchema(
      {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'd', type: { type: 'int', logicalType: 'date' } },
          { name: 'n', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } },
          { name: 't', type: { type: 'long', logicalType: 'timestamp-micros' } },
        ],
      },
      { logicalTypes: READABLE_LOGICAL_TYPES },
    );
    const plain = Type.forSchema(JSON.parse(JSON.stringify(type.schema())) as never);
    const bytes = plain.toBuffer({ d: 20454, n: Buffer.from([0xfb, 0x2e]), t: 1_000_001 });
    expect(type.fromBuffer(bytes)).toEqual({
      d: '2026-01-01',
      n: '-12.34',
      t: '1970-01-01T00:00:01.000001Z',
    });
  });
});
