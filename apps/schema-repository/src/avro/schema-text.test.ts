import { canonicalText } from './schema-text';

const A1 = { type: 'record', name: 'myrecord', fields: [{ type: 'string', name: 'f1' }] };

describe('canonicalText', () => {
  it('ignores whitespace and attribute order', () => {
    const shuffled = JSON.parse(
      '{ "fields" : [ {"name":"f1",  "type":"string"} ],"name":"myrecord", "type":"record"}',
    );
    expect(canonicalText(shuffled)).toBe(canonicalText(A1));
    expect(canonicalText(A1)).toBe(
      '{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}]}',
    );
  });

  it('treats {"type":"string"} as the primitive "string"', () => {
    expect(canonicalText({ type: 'string' })).toBe('"string"');
    expect(canonicalText('string')).toBe('"string"');
    expect(canonicalText({ type: 'string', logicalType: 'uuid' })).toBe(
      '{"type":"string","logicalType":"uuid"}',
    );
  });

  it('keeps doc, default, aliases and custom properties in the identity', () => {
    const withDoc = { ...A1, doc: 'a record' };
    const withDefault = { ...A1, fields: [{ type: 'string', name: 'f1', default: 'x' }] };
    const withAlias = { ...A1, fields: [{ type: 'string', name: 'f1', aliases: ['g'] }] };
    const withProp = { ...A1, 'x-owner': 'team' };
    const texts = [A1, withDoc, withDefault, withAlias, withProp].map(canonicalText);
    expect(new Set(texts).size).toBe(5);
  });

  it('keeps the order of fields, symbols and union branches', () => {
    const ab = {
      ...A1,
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'int' },
      ],
    };
    const ba = {
      ...A1,
      fields: [
        { name: 'b', type: 'int' },
        { name: 'a', type: 'int' },
      ],
    };
    expect(canonicalText(ab)).not.toBe(canonicalText(ba));
    expect(canonicalText(['null', 'int'])).not.toBe(canonicalText(['int', 'null']));
  });

  it('sorts the keys of object defaults, which are data', () => {
    const one = { type: 'map', values: 'int', default: { b: 1, a: 2 } };
    const two = { default: { a: 2, b: 1 }, values: 'int', type: 'map' };
    expect(canonicalText(one)).toBe(canonicalText(two));
  });
});
