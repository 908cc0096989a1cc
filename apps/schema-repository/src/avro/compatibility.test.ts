import { Type, type Schema } from 'avsc';
import {
  checkCompatibility,
  describeFailures,
  readerWriterIncompatibilities,
  type CompatibilityLevel,
} from './compatibility';

/**
 * Confluent's canonical vectors (core/src/test/java/.../avro/AvroCompatibilityTest.java),
 * ported as a table: the candidate, the subject's previous schemas (oldest
 * first, so the last is "latest"), the level, and whether registration passes.
 */
const record = (fields: unknown[]) => ({ type: 'record', name: 'myrecord', fields }) as Schema;
const s1 = record([{ type: 'string', name: 'f1' }]);
const s2 = record([
  { type: 'string', name: 'f1' },
  { type: 'string', name: 'f2', default: 'foo' },
]);
const s3 = record([
  { type: 'string', name: 'f1' },
  { type: 'string', name: 'f2' },
]);
const s4 = record([{ type: 'string', name: 'f1_new', aliases: ['f1'] }]);
const s6 = record([{ type: ['null', 'string'], name: 'f1', doc: 'doc of f1' }]);
const s7 = record([{ type: ['null', 'string', 'int'], name: 'f1', doc: 'doc of f1' }]);
const s8 = record([
  { type: 'string', name: 'f1' },
  { type: 'string', name: 'f2', default: 'foo' },
  { type: 'string', name: 'f3', default: 'bar' },
]);
const schemas = { s1, s2, s3, s4, s6, s7, s8 };
type Name = keyof typeof schemas;

const vectors: [CompatibilityLevel, Name, Name[], boolean, string][] = [
  ['BACKWARD', 's2', ['s1'], true, 'adding a field with default'],
  ['BACKWARD', 's3', ['s1'], false, 'adding a field without default'],
  ['BACKWARD', 's4', ['s1'], true, 'renaming a field with an alias'],
  ['BACKWARD', 's6', ['s1'], true, 'evolving a field type to a union'],
  ['BACKWARD', 's1', ['s6'], false, 'removing a type from a union'],
  ['BACKWARD', 's7', ['s6'], true, 'adding a type to a union'],
  ['BACKWARD', 's6', ['s7'], false, 'removing a type from a union'],
  ['BACKWARD', 's3', ['s1', 's2'], true, 'only the latest version is checked'],
  ['BACKWARD_TRANSITIVE', 's8', ['s1', 's2'], true, 'iteratively adding fields with defaults'],
  ['BACKWARD_TRANSITIVE', 's2', ['s1'], true, 'adding a field with default'],
  ['BACKWARD_TRANSITIVE', 's3', ['s2'], true, 'removing a default, one step'],
  ['BACKWARD_TRANSITIVE', 's3', ['s2', 's1'], false, 'removing a default, transitively'],
  ['FORWARD', 's2', ['s1'], true, 'adding a field'],
  ['FORWARD', 's3', ['s1'], true, 'adding a field without default'],
  ['FORWARD', 's3', ['s2'], true, 'removing a default'],
  ['FORWARD', 's2', ['s3'], true, 'adding a default'],
  ['FORWARD', 's1', ['s3', 's2'], true, 'only the latest version is checked'],
  ['FORWARD_TRANSITIVE', 's1', ['s8', 's2'], true, 'iteratively removing fields with defaults'],
  ['FORWARD_TRANSITIVE', 's2', ['s3'], true, 'adding a default'],
  ['FORWARD_TRANSITIVE', 's1', ['s2'], true, 'removing a field with a default'],
  ['FORWARD_TRANSITIVE', 's1', ['s2', 's3'], false, 'removing a default, transitively'],
  ['FULL', 's2', ['s1'], true, 'adding a field with default'],
  ['FULL', 's3', ['s1', 's2'], true, 'only the latest version is checked (add)'],
  ['FULL', 's1', ['s3', 's2'], true, 'only the latest version is checked (remove)'],
  ['FULL_TRANSITIVE', 's8', ['s1', 's2'], true, 'iteratively adding fields with defaults'],
  ['FULL_TRANSITIVE', 's1', ['s8', 's2'], true, 'iteratively removing fields with defaults'],
  ['FULL_TRANSITIVE', 's2', ['s3'], true, 'adding a default'],
  ['FULL_TRANSITIVE', 's1', ['s2'], true, 'removing a field with a default'],
  ['FULL_TRANSITIVE', 's2', ['s1'], true, 'adding a field with default'],
  ['FULL_TRANSITIVE', 's3', ['s2'], true, 'removing a default'],
  ['FULL_TRANSITIVE', 's3', ['s2', 's1'], false, 'transitively adding a field without a default'],
  ['FULL_TRANSITIVE', 's1', ['s2', 's3'], false, 'transitively removing a field without a default'],
  ['NONE', 's3', ['s1'], true, 'NONE accepts anything'],
];

const parsed = (name: Name) => Type.forSchema(schemas[name]);

describe('checkCompatibility (Confluent AvroCompatibilityTest vectors)', () => {
  it.each(vectors)(
    '%s: %s after %j → compatible=%s (%s)',
    (level, candidate, previous, compatible) => {
      const failures = checkCompatibility(
        level,
        parsed(candidate),
        previous.map((name, index) => ({ version: index + 1, type: parsed(name) })),
      );
      expect(failures.length === 0).toBe(compatible);
    },
  );
});

describe('readerWriterIncompatibilities', () => {
  const check = (reader: Schema, writer: Schema) =>
    readerWriterIncompatibilities(Type.forSchema(reader), Type.forSchema(writer)).map(
      (p) => p.type,
    );

  it('allows the Avro promotions and nothing else', () => {
    expect(check('long', 'int')).toEqual([]);
    expect(check('double', 'float')).toEqual([]);
    expect(check('string', 'bytes')).toEqual([]);
    expect(check('bytes', 'string')).toEqual([]);
    expect(check('int', 'long')).toEqual(['TYPE_MISMATCH']);
    expect(check('boolean', 'int')).toEqual(['TYPE_MISMATCH']);
  });

  it('requires every writer enum symbol unless the reader enum has a default', () => {
    const writer = { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } as Schema;
    expect(check({ type: 'enum', name: 'E', symbols: ['A', 'B'] } as Schema, writer)).toEqual([
      'MISSING_ENUM_SYMBOLS',
    ]);
    expect(
      check({ type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'A' } as Schema, writer),
    ).toEqual([]);
  });

  it('matches named types by short name or reader alias, and fixed by size', () => {
    expect(
      check(
        { type: 'fixed', name: 'a.F', size: 4 } as Schema,
        { type: 'fixed', name: 'b.F', size: 4 } as Schema,
      ),
    ).toEqual([]);
    expect(
      check(
        { type: 'fixed', name: 'F', size: 8 } as Schema,
        { type: 'fixed', name: 'F', size: 4 } as Schema,
      ),
    ).toEqual(['FIXED_SIZE_MISMATCH']);
    expect(
      check(
        { type: 'fixed', name: 'G', size: 4 } as Schema,
        { type: 'fixed', name: 'F', size: 4 } as Schema,
      ),
    ).toEqual(['NAME_MISMATCH']);
    expect(
      check(
        { type: 'fixed', name: 'G', aliases: ['F'], size: 4 } as Schema,
        { type: 'fixed', name: 'F', size: 4 } as Schema,
      ),
    ).toEqual([]);
  });

  it('recurses into arrays, maps and recursive records without looping', () => {
    expect(
      check({ type: 'array', items: 'long' } as Schema, { type: 'array', items: 'int' } as Schema),
    ).toEqual([]);
    expect(
      check({ type: 'map', values: 'int' } as Schema, { type: 'map', values: 'string' } as Schema),
    ).toEqual(['TYPE_MISMATCH']);
    const list = {
      type: 'record',
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'], default: null }],
    } as Schema;
    expect(check(list, list)).toEqual([]);
  });

  it('checks logical types on their underlying type', () => {
    expect(check({ type: 'long', logicalType: 'timestamp-micros' } as Schema, 'long')).toEqual([]);
  });
});

describe('describeFailures', () => {
  it('explains a missing default in Confluent terms', () => {
    const failures = checkCompatibility('BACKWARD', parsed('s3'), [
      { version: 1, type: parsed('s1') },
    ]);
    expect(describeFailures(failures, 'BACKWARD')).toEqual([
      "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'f2'}",
      '{oldSchemaVersion: 1}',
      "{compatibility: 'BACKWARD'}",
    ]);
  });
});

describe('memoized reader/writer pairs', () => {
  it('checks the schema of issue 9 (24 levels, each defined inline and referred to by name) in milliseconds', () => {
    const level = (i: number): Schema =>
      (i === 24
        ? { type: 'record', name: `L${i}`, fields: [{ name: 'x', type: 'int' }] }
        : {
            type: 'record',
            name: `L${i}`,
            fields: [
              { name: 'a', type: level(i + 1) },
              { name: 'b', type: `L${i + 1}` },
            ],
          }) as Schema;
    const previous = [{ version: 1, type: Type.forSchema(level(0)) }];
    const start = performance.now();
    expect(checkCompatibility('BACKWARD', Type.forSchema(level(0)), previous)).toEqual([]);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
