import { Type } from 'avsc';
import { InvalidSchemaError, parseAvroSchema } from './parse';

/** avsc's verdict, parsed the way the registry used to. */
function avscAccepts(schema: unknown): boolean {
  try {
    Type.forSchema(schema as never, { registry: {}, noAnonymousTypes: true });
    return true;
  } catch {
    return false;
  }
}

function oursAccepts(schema: unknown): boolean {
  try {
    parseAvroSchema(JSON.stringify(schema));
    return true;
  } catch (error) {
    if (error instanceof InvalidSchemaError) return false;
    throw error;
  }
}

const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'record',
  name,
  fields,
  ...extra,
});
const empty = record('E', []);

describe('SchemaReader agrees with avsc on the corners of record defaults', () => {
  it.each([
    [
      'accepts a record default omitting a field of a record type with no fields',
      record('R', [{ name: 'r', type: record('S', [{ name: 'e', type: empty }]), default: {} }]),
      true,
    ],
    [
      'accepts the same through a union whose first branch is that record',
      record('R', [
        { name: 'e', type: empty },
        { name: 'r', type: record('S', [{ name: 'u', type: ['E', 'null'] }]), default: {} },
      ]),
      true,
    ],
    [
      'refuses it through a union whose first branch is null',
      record('R', [
        { name: 'e', type: empty },
        { name: 'r', type: record('S', [{ name: 'u', type: ['null', 'E'] }]), default: {} },
      ]),
      false,
    ],
    [
      'accepts any value as the default of a record with no fields',
      record('R', [{ name: 'e', type: empty, default: 5 }]),
      true,
    ],
    [
      'refuses a record default omitting a bytes field with a default (avsc converts it to a buffer, then fails on it)',
      record('R', [
        {
          name: 'r',
          type: record('S', [{ name: 'b', type: 'bytes', default: 'x' }]),
          default: {},
        },
      ]),
      false,
    ],
    [
      'refuses a record default omitting a field whose default is of a wrapped union',
      record('R', [
        {
          name: 'r',
          type: record('S', [{ name: 'u', type: ['int', 'long'], default: 1 }]),
          default: {},
        },
      ]),
      false,
    ],
    [
      'accepts an enum symbol written as a one-element array',
      { type: 'enum', name: 'E', symbols: [['A'], 'B'] },
      true,
    ],
    ['accepts a namespace written as an array', record('R', [], { namespace: ['a'] }), true],
    [
      'refuses a default of the record still being defined',
      record('R', [{ name: 'r', type: ['R', 'null'], default: {} }]),
      false,
    ],
  ] as [string, unknown, boolean][])('%s', (_label, schema, accepted) => {
    expect(avscAccepts(schema)).toBe(accepted);
    expect(oursAccepts(schema)).toBe(accepted);
  });

  it('refuses what avsc lets through only by looking names up on Object.prototype', () => {
    for (const schema of [
      { type: 'constructor' },
      record('R', [{ name: 'f', type: 'toString' }]),
      { type: 'enum', name: 'E', symbols: ['A'], default: 'valueOf' },
    ]) {
      expect(avscAccepts(schema)).toBe(true);
      expect(oursAccepts(schema)).toBe(false);
    }
  });
});
