import { avroType } from './avro';

describe('avroType', () => {
  it('encodes longs, logical longs and nullable longs from bigint', () => {
    const type = avroType({
      type: 'record',
      name: 'X',
      fields: [
        { name: 'a', type: 'long' },
        { name: 'b', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'c', type: ['null', 'long'], default: null },
      ],
    });
    expect(type.toBuffer({ a: 1n, b: 2n, c: 3n }).toString('hex')).toBe('02040206');
    expect(type.fromBuffer(Buffer.from('020400', 'hex'))).toEqual({ a: 1n, b: 2n, c: null });
  });
});
