import { RowMapper, decimalBytes } from './row-mapper';

const model = {
  type: 'record',
  name: 'Customer',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'active', type: 'boolean' },
    { name: 'balance', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'created_at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'born', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
    { name: 'score', type: 'double' },
  ],
};

describe('RowMapper', () => {
  const mapper = new RowMapper(model);

  it('maps store values to the Avro representation of each field', () => {
    expect(
      mapper.map({
        id: 9007199254740993n,
        name: 'Ada',
        email: null,
        active: 1,
        balance: '12.5',
        created_at: '2024-05-01T12:00:00.123456Z',
        born: '1970-01-11',
        score: 1.5,
        ignored: 'not in the model',
      }),
    ).toEqual({
      id: 9007199254740993n,
      name: 'Ada',
      email: null,
      active: true,
      balance: Buffer.from([0x04, 0xe2]),
      created_at: 1714564800123456n,
      born: 10,
      score: 1.5,
    });
  });

  it('says which field cannot be represented', () => {
    expect(() =>
      mapper.map({ id: 1n, name: null, active: true, balance: '1', created_at: 0n, score: 1 }),
    ).toThrow('column "name" is null');
    expect(() =>
      mapper.map({ id: 'x', name: 'a', active: true, balance: '1', created_at: 0n, score: 1 }),
    ).toThrow('column "id": expected an integer');
    expect(() =>
      mapper.map({ id: 1n, name: 'a', active: true, balance: '1.234', created_at: 0n, score: 1 }),
    ).toThrow('more than 2 decimal places');
  });
});

describe('decimalBytes', () => {
  it.each([
    ['0', 0, '00'],
    ['1', 0, '01'],
    ['127', 0, '7f'],
    ['128', 0, '0080'],
    ['-1', 0, 'ff'],
    ['-128', 0, '80'],
    ['-129', 0, 'ff7f'],
    ['12.50', 2, '04e2'],
    ['-0.01', 2, 'ff'],
  ])('%s at scale %d is %s', (text, scale, hex) => {
    expect(decimalBytes(text, scale).toString('hex')).toBe(hex);
  });
});
