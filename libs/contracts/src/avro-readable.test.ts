import { isoToMicros, microsToIso } from './avro-readable';

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
