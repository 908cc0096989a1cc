import { readerWriterIncompatibilities } from './compatibility';
import { InvalidSchemaError, parseAvroSchema, SchemaBoundError } from './parse';
import { DEFAULT_SCHEMA_BOUNDS, type SchemaBound } from './schema-bounds';

const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'record',
  name,
  fields,
  ...extra,
});

/** `levels` records, each the only field of the one around it. */
function nested(levels: number, wrap: (inner: unknown, level: number) => unknown): unknown {
  let type: unknown = 'int';
  for (let level = levels - 1; level >= 0; level--) type = wrap(type, level);
  return type;
}

function refusal(schema: unknown, references = []): SchemaBoundError {
  try {
    parseAvroSchema(typeof schema === 'string' ? schema : JSON.stringify(schema), references);
  } catch (error) {
    if (error instanceof SchemaBoundError) return error;
    throw error;
  }
  throw new Error('the schema was accepted');
}

function expectRefused(schema: unknown, bound: SchemaBound, says: RegExp): void {
  const error = refusal(schema);
  expect(error).toBeInstanceOf(InvalidSchemaError);
  expect({ bound: error.bound, limit: error.limit }).toEqual({
    bound,
    limit: DEFAULT_SCHEMA_BOUNDS[bound],
  });
  expect(error.message).toMatch(says);
}

const accepts = (schema: unknown) =>
  expect(() => parseAvroSchema(JSON.stringify(schema))).not.toThrow();

describe('schema bounds', () => {
  it('refuses types nested deeper than 64 levels, naming the limit', () => {
    const records = (levels: number) =>
      nested(levels, (inner, level) => record(`R${level}`, [{ name: 'f', type: inner }]));
    accepts(records(63));
    expectRefused(records(65), 'maxDepth', /types nest deeper than the limit of 64 levels/);
    const arrays = (levels: number) => nested(levels, (items) => ({ type: 'array', items }));
    accepts(arrays(63));
    expectRefused(arrays(64), 'maxDepth', /limit of 64 levels/);
  });

  it('does not count a union as a level: 63 nullable records nest fine', () => {
    accepts(
      nested(63, (inner, level) => ['null', record(`N${level}`, [{ name: 'n', type: inner }])]),
    );
  });

  it('refuses defaults, docs and properties nested deeper than 64 levels', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const withDefault = (levels: number) =>
      `{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"array","items":"int"},"default":${deep(levels)}}]}`;
    // A default follows its type: this one fails as the wrong type long before its depth.
    expect(() => parseAvroSchema(withDefault(100_000))).toThrow(/incompatible field default/);
    expectRefused(
      `{"type":"record","name":"R","doc":${deep(65)},"fields":[]}`,
      'maxDepth',
      /limit of 64/,
    );
    expectRefused(`{"type":"int","x-meta":${deep(65)}}`, 'maxDepth', /limit of 64/);
    expectRefused(
      `{"type":"enum","name":"E","symbols":[${deep(200_000)}]}`,
      'maxDepth',
      /limit of 64/,
    );
    accepts(JSON.parse(`{"type":"int","x-meta":${deep(64)}}`));
  });

  it('refuses a default that nests deeper than 64 levels along a recursive type', () => {
    const tree = record('Tree', [
      { name: 'children', type: { type: 'array', items: 'Tree' }, default: [] },
    ]);
    const deepTree = (levels: number): unknown =>
      levels === 0 ? {} : { children: [deepTree(levels - 1)] };
    const schema = record('Forest', [
      { name: 'tree', type: tree },
      { name: 'big', type: 'Tree', default: deepTree(40) },
    ]);
    expectRefused(schema, 'maxDepth', /a value nests deeper than the limit of 64 levels/);
  });

  it('refuses more than 1,000 named types, counting those of references', () => {
    const many = (count: number) =>
      record(
        'Root',
        Array.from({ length: count - 1 }, (_, i) => ({
          name: `f${i}`,
          type: { type: 'fixed', name: `F${i}`, size: 1 },
        })),
      );
    accepts(many(1000));
    expectRefused(many(1001), 'maxNamedTypes', /more than the limit of 1000 named types/);
    const shared = {
      name: 'lib.Shared',
      subject: 'shared',
      version: 1,
      references: [],
      schema: JSON.stringify(
        record(
          'Shared',
          Array.from({ length: 600 }, (_, i) => ({
            name: `g${i}`,
            type: { type: 'enum', name: `E${i}`, symbols: ['A'] },
          })),
          { namespace: 'lib' },
        ),
      ),
    };
    const user = JSON.stringify({
      ...many(401),
      fields: [...(many(401) as { fields: unknown[] }).fields, { name: 's', type: 'lib.Shared' }],
    });
    expect(() => parseAvroSchema(user, [shared])).toThrow(/limit of 1000 named types/);
  });

  it('refuses a union of more than 100 branches, saying how wide it is and where', () => {
    const union = (width: number) =>
      record('R', [
        {
          name: 'u',
          type: Array.from({ length: width }, (_, i) => ({
            type: 'fixed',
            name: `F${i}`,
            size: i,
          })),
        },
      ]);
    accepts(union(100));
    expectRefused(
      union(101),
      'maxUnionBranches',
      /a union has 101 branches, more than the limit of 100 \(at \/fields\/0\/type\)/,
    );
  });

  it('refuses names and aliases longer than 1,000 characters, namespace included', () => {
    const space = Array.from({ length: 200 }, (_, i) => `part${i}`).join('.');
    expect(space.length).toBeGreaterThan(1000);
    expectRefused(
      record('R', [], { namespace: space }),
      'maxNameLength',
      /longer than the limit of 1000 characters/,
    );
    expectRefused(
      record('R', [], { namespace: space.slice(0, 990), aliases: ['OldNameThatIsLong'] }),
      'maxNameLength',
      /alias .* longer than the limit of 1000/,
    );
    accepts(record('R', [], { namespace: space.slice(0, 900), aliases: ['Old'] }));
  });

  it('refuses schema text over 1,000,000 characters before reading it', () => {
    const text = `${' '.repeat(1_000_000)}"int"`;
    expectRefused(text, 'maxLength', /longer than the limit of 1000000 characters/);
  });

  it('takes other bounds when given', () => {
    const schema = JSON.stringify(['null', 'int', 'string']);
    expect(() =>
      parseAvroSchema(schema, [], { ...DEFAULT_SCHEMA_BOUNDS, maxUnionBranches: 2 }),
    ).toThrow(/a union has 3 branches, more than the limit of 2/);
  });

  it('stops a check that needs more than 500,000 comparisons, naming the limit', () => {
    // Records of one short name in many namespaces, each holding a union of
    // the ones before: no pair can be ruled out by name.
    const names = Array.from({ length: 100 }, (_, i) => `n${i}.R`);
    const schema = JSON.stringify(
      record('Root', [
        {
          name: 'all',
          type: names.map((name, i) =>
            record(name, [
              { name: 'next', type: ['null', ...names.slice(0, i)], default: null },
              { name: `g${i}`, type: 'int' },
            ]),
          ),
        },
      ]),
    );
    const a = parseAvroSchema(schema);
    const b = parseAvroSchema(schema);
    expect(() => readerWriterIncompatibilities(a.model, b.model)).toThrow(
      /checking compatibility needs more than the limit of 500000 type comparisons/,
    );
  });
});

describe('the schema of issue 9: each level defined inline and referred to by name', () => {
  const issueSchema = (levels: number, leaf: string) => {
    const level = (i: number): unknown =>
      i === levels
        ? record(`L${i}`, [{ name: 'x', type: leaf }])
        : record(`L${i}`, [
            { name: 'a', type: level(i + 1) },
            { name: 'b', type: `L${i + 1}` },
          ]);
    return JSON.stringify(level(0));
  };

  it('is read and checked against itself in milliseconds, at 24 levels and at 60', () => {
    for (const levels of [24, 60]) {
      const a = parseAvroSchema(issueSchema(levels, 'int'));
      const b = parseAvroSchema(issueSchema(levels, 'int'));
      const start = performance.now();
      expect(readerWriterIncompatibilities(a.model, b.model)).toEqual([]);
      expect(readerWriterIncompatibilities(b.model, a.model)).toEqual([]);
      expect(performance.now() - start).toBeLessThan(1000);
    }
  });

  it('reports an incompatible leaf once, not once per path to it', () => {
    const reader = parseAvroSchema(issueSchema(24, 'int'));
    const writer = parseAvroSchema(issueSchema(24, 'long'));
    const problems = readerWriterIncompatibilities(reader.model, writer.model);
    expect(problems).toEqual([
      {
        type: 'TYPE_MISMATCH',
        location: `${'/fields/0/type'.repeat(24)}/fields/0/type`,
        detail: 'reader type: INT not compatible with writer type: LONG',
      },
    ]);
  });
});
