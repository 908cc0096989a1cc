import { ByteReader, ByteWriter } from './bytes';

describe('ByteWriter', () => {
  it('encodes strings as TextEncoder does (multi-byte, astral, lone surrogates) and grows past its first buffer', () => {
    const encoder = new TextEncoder();
    for (const text of [
      '',
      'plain',
      'é€😀',
      'a\uD800b',
      '\uDC00',
      'x'.repeat(300),
      '😀'.repeat(100),
    ]) {
      const written = new ByteWriter().string(text).finish();
      const bytes = encoder.encode(text);
      const reader = new ByteReader(written);
      expect(reader.uvarint('length')).toBe(bytes.length);
      expect(Buffer.from(reader.raw(bytes.length, 'utf8'))).toEqual(Buffer.from(bytes));
    }
  });

  it('writes integers and doubles big-endian, as a DataView does', () => {
    const written = new ByteWriter()
      .u16(0xbeef)
      .i64(-2n)
      .i64(2n ** 63n - 1n)
      .f64(-0.5)
      .finish();
    const view = new DataView(new ArrayBuffer(26));
    view.setUint16(0, 0xbeef);
    view.setBigInt64(2, -2n);
    view.setBigInt64(10, 2n ** 63n - 1n);
    view.setFloat64(18, -0.5);
    expect(written).toEqual(Buffer.from(view.buffer));
  });
});
