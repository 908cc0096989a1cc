import { InvalidSchemaError, parseAvroSchema } from './parse';

describe('parseAvroSchema', () => {
  it('gives equal fingerprints to formatting variants and different ones to different schemas', () => {
    const a = parseAvroSchema('{"type":"record","name":"R","fields":[{"name":"f","type":"int"}]}');
    const b = parseAvroSchema(
      '{ "fields": [ { "type": {"type":"int"}, "name": "f" } ], "name": "R", "type": "record" }',
    );
    const c = parseAvroSchema(
      '{"type":"record","name":"R","doc":"x","fields":[{"name":"f","type":"int"}]}',
    );
    expect(a.fingerprint.equals(b.fingerprint)).toBe(true);
    expect(a.canonical).toBe(b.canonical);
    expect(a.fingerprint.equals(c.fingerprint)).toBe(false);
  });

  it('accepts a bare primitive name and its JSON string form as the same schema', () => {
    expect(parseAvroSchema('string').canonical).toBe('"string"');
    expect(
      parseAvroSchema('"string"').fingerprint.equals(
        parseAvroSchema('{"type":"string"}').fingerprint,
      ),
    ).toBe(true);
  });

  it.each([
    ['an unknown type', '{"type":"record","name":"R","fields":[{"name":"f","type":"str"}]}'],
    [
      'a default of the wrong type',
      '{"type":"record","name":"R","fields":[{"name":"f","type":"string","default":null}]}',
    ],
    ['malformed JSON', '{"type":'],
    ['a record without a name', '{"type":"record","fields":[]}'],
  ])('rejects %s', (_label, text) => {
    expect(() => parseAvroSchema(text)).toThrow(InvalidSchemaError);
  });

  it('resolves named types from references', () => {
    const address = {
      name: 'shop.Address',
      subject: 'address',
      version: 1,
      references: [],
      schema:
        '{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}',
    };
    const parsed = parseAvroSchema(
      '{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"shop.Address"}]}',
      [address],
    );
    expect(parsed.type.isValid({ home: { city: 'Oslo' } })).toBe(true);
    expect(() =>
      parseAvroSchema(
        '{"type":"record","name":"C","fields":[{"name":"home","type":"shop.Address"}]}',
      ),
    ).toThrow(InvalidSchemaError);
  });
});
