import type { Type } from 'avsc';

/**
 * Avro reader/writer compatibility, following Apache Avro's
 * `SchemaCompatibility.checkReaderWriterCompatibility` (the check Confluent's
 * registry runs), on parsed avsc types:
 *
 * - same kind: primitives match; arrays/maps recurse into items/values; fixed
 *   and enums need the same (short) name or a reader alias of the writer's
 *   full name; fixed sizes must match; writer enum symbols must all exist in
 *   the reader unless the reader enum has a default; a record reader field
 *   must exist in the writer (by name or alias) or carry a default;
 * - a writer union: every branch must be readable by the reader;
 * - a reader union (writer not a union): some branch must read the writer;
 * - promotions: int→long/float/double, long→float/double, float→double,
 *   string↔bytes;
 * - logical types are checked on their underlying type.
 *
 * Recursive types are handled by assuming a pair under examination is
 * compatible, as Avro does.
 */

export type IncompatibilityType =
  | 'NAME_MISMATCH'
  | 'FIXED_SIZE_MISMATCH'
  | 'MISSING_ENUM_SYMBOLS'
  | 'READER_FIELD_MISSING_DEFAULT_VALUE'
  | 'TYPE_MISMATCH'
  | 'MISSING_UNION_BRANCH';

export interface Incompatibility {
  type: IncompatibilityType;
  /** JSON-pointer-like path in the reader schema, e.g. `/fields/1/type`. */
  location: string;
  /** The field name, the missing symbols or the mismatching names. */
  detail: string;
}

type AnyType = Type & Record<string, unknown>;

interface NamedType {
  name: string;
  aliases?: string[];
}

interface FieldLike {
  name: string;
  aliases: string[];
  type: Type;
  defaultValue(): unknown;
}

function kind(type: Type): string {
  const name = (type as AnyType).typeName as string;
  if (name.startsWith('union')) return 'union';
  if (name.startsWith('logical:'))
    return kind((type as unknown as { underlyingType: Type }).underlyingType);
  return name;
}

function underlying(type: Type): Type {
  const name = (type as AnyType).typeName as string;
  return name.startsWith('logical:')
    ? underlying((type as unknown as { underlyingType: Type }).underlyingType)
    : type;
}

function shortName(fullName: string): string {
  const index = fullName.lastIndexOf('.');
  return index < 0 ? fullName : fullName.slice(index + 1);
}

function namesMatch(reader: NamedType, writer: NamedType): boolean {
  if (shortName(reader.name) === shortName(writer.name)) return true;
  return (reader.aliases ?? []).includes(writer.name);
}

const PROMOTIONS: Record<string, readonly string[]> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  bytes: ['string'],
  string: ['bytes'],
};

class Checker {
  private readonly inProgress = new Set<string>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;

  check(readerType: Type, writerType: Type, location: string): Incompatibility[] {
    const reader = underlying(readerType);
    const writer = underlying(writerType);
    const key = `${this.id(reader)}:${this.id(writer)}`;
    if (this.inProgress.has(key)) return [];
    this.inProgress.add(key);
    try {
      return this.compare(reader, writer, location);
    } finally {
      this.inProgress.delete(key);
    }
  }

  private id(type: object): number {
    let id = this.ids.get(type);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(type, id);
    }
    return id;
  }

  private compare(reader: Type, writer: Type, location: string): Incompatibility[] {
    const r = kind(reader);
    const w = kind(writer);
    if (r === w) {
      switch (r) {
        case 'array':
          return this.check(
            (reader as unknown as { itemsType: Type }).itemsType,
            (writer as unknown as { itemsType: Type }).itemsType,
            `${location}/items`,
          );
        case 'map':
          return this.check(
            (reader as unknown as { valuesType: Type }).valuesType,
            (writer as unknown as { valuesType: Type }).valuesType,
            `${location}/values`,
          );
        case 'fixed':
          return this.fixed(reader, writer, location);
        case 'enum':
          return this.enumeration(reader, writer, location);
        case 'record':
        case 'error':
          return this.record(reader, writer, location);
        case 'union':
          return this.writerUnion(reader, writer, location);
        default:
          return [];
      }
    }
    if (w === 'union') return this.writerUnion(reader, writer, location);
    if (r === 'union') {
      const branches = (reader as unknown as { types: Type[] }).types;
      const attempts = branches.map((branch, index) => ({
        branch,
        index,
        problems: this.check(branch, writer, `${location}/${index}`),
      }));
      if (attempts.some((attempt) => attempt.problems.length === 0)) return [];
      // Avro reports only the missing branch; when a branch of the same kind
      // exists, its own problems (a field without default, …) say more.
      const sameKind = attempts.find((attempt) => kind(attempt.branch) === w);
      return sameKind
        ? sameKind.problems
        : [
            {
              type: 'MISSING_UNION_BRANCH',
              location,
              detail: `reader union lacking writer type: ${w.toUpperCase()}`,
            },
          ];
    }
    if (PROMOTIONS[r]?.includes(w)) return [];
    return [
      {
        type: 'TYPE_MISMATCH',
        location,
        detail: `reader type: ${r.toUpperCase()} not compatible with writer type: ${w.toUpperCase()}`,
      },
    ];
  }

  private writerUnion(reader: Type, writer: Type, location: string): Incompatibility[] {
    const branches = (writer as unknown as { types: Type[] }).types;
    return branches.flatMap((branch, index) => this.check(reader, branch, `${location}/${index}`));
  }

  private fixed(reader: Type, writer: Type, location: string): Incompatibility[] {
    const rn = reader as unknown as NamedType & { size: number };
    const wn = writer as unknown as NamedType & { size: number };
    if (!namesMatch(rn, wn)) {
      return [
        { type: 'NAME_MISMATCH', location: `${location}/name`, detail: `expected: ${wn.name}` },
      ];
    }
    if (rn.size !== wn.size) {
      return [
        {
          type: 'FIXED_SIZE_MISMATCH',
          location: `${location}/size`,
          detail: `expected: ${wn.size}, found: ${rn.size}`,
        },
      ];
    }
    return [];
  }

  private enumeration(reader: Type, writer: Type, location: string): Incompatibility[] {
    const rn = reader as unknown as NamedType & { symbols: string[]; default?: string };
    const wn = writer as unknown as NamedType & { symbols: string[] };
    if (!namesMatch(rn, wn)) {
      return [
        { type: 'NAME_MISMATCH', location: `${location}/name`, detail: `expected: ${wn.name}` },
      ];
    }
    if (rn.default !== undefined) return [];
    const missing = wn.symbols.filter((symbol) => !rn.symbols.includes(symbol));
    return missing.length === 0
      ? []
      : [
          {
            type: 'MISSING_ENUM_SYMBOLS',
            location: `${location}/symbols`,
            detail: `[${missing.join(', ')}]`,
          },
        ];
  }

  private record(reader: Type, writer: Type, location: string): Incompatibility[] {
    const rn = reader as unknown as NamedType & { fields: FieldLike[] };
    const wn = writer as unknown as NamedType & { fields: FieldLike[] };
    if (!namesMatch(rn, wn)) {
      return [
        { type: 'NAME_MISMATCH', location: `${location}/name`, detail: `expected: ${wn.name}` },
      ];
    }
    const problems: Incompatibility[] = [];
    rn.fields.forEach((field, index) => {
      const fieldLocation = `${location}/fields/${index}`;
      const writerField =
        wn.fields.find((candidate) => candidate.name === field.name) ??
        wn.fields.find((candidate) => field.aliases.includes(candidate.name));
      if (!writerField) {
        if (field.defaultValue() === undefined) {
          problems.push({
            type: 'READER_FIELD_MISSING_DEFAULT_VALUE',
            location: fieldLocation,
            detail: field.name,
          });
        }
        return;
      }
      problems.push(...this.check(field.type, writerField.type, `${fieldLocation}/type`));
    });
    return problems;
  }
}

/** What stops `reader` from decoding data written with `writer`; empty when it can. */
export function readerWriterIncompatibilities(reader: Type, writer: Type): Incompatibility[] {
  return new Checker().check(reader, writer, '');
}

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

export interface PreviousVersion {
  version: number;
  type: Type;
}

export interface CompatibilityFailure {
  /** The earlier version the candidate cannot coexist with. */
  version: number;
  /** Whether the candidate fails as the reader (new reads old) or as the writer (old reads new). */
  direction: 'backward' | 'forward';
  problems: Incompatibility[];
}

/**
 * Checks a candidate against a subject's live versions (oldest first) at a
 * compatibility level. Non-transitive levels look at the latest version only;
 * transitive ones at every version, newest first, stopping at the first failure.
 */
export function checkCompatibility(
  level: CompatibilityLevel,
  candidate: Type,
  previous: readonly PreviousVersion[],
): CompatibilityFailure[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const newestFirst = [...previous].reverse();
  const targets = level.endsWith('_TRANSITIVE') ? newestFirst : newestFirst.slice(0, 1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const target of targets) {
    const failures: CompatibilityFailure[] = [];
    if (backward) {
      const problems = readerWriterIncompatibilities(candidate, target.type);
      if (problems.length > 0)
        failures.push({ version: target.version, direction: 'backward', problems });
    }
    if (forward) {
      const problems = readerWriterIncompatibilities(target.type, candidate);
      if (problems.length > 0)
        failures.push({ version: target.version, direction: 'forward', problems });
    }
    if (failures.length > 0) return failures;
  }
  return [];
}

const DESCRIPTIONS: Record<
  IncompatibilityType,
  (problem: Incompatibility, reader: string, writer: string) => string
> = {
  READER_FIELD_MISSING_DEFAULT_VALUE: (p, reader, writer) =>
    `The field '${p.detail}' at path '${p.location}' in the ${reader} schema has no default value and is missing in the ${writer} schema`,
  TYPE_MISMATCH: (p, reader, writer) =>
    `The type (path '${p.location}') of a field in the ${reader} schema does not match with the ${writer} schema (${p.detail})`,
  MISSING_UNION_BRANCH: (p, reader, writer) =>
    `The ${reader} schema is missing a type inside a union field at path '${p.location}' in the ${writer} schema (${p.detail})`,
  MISSING_ENUM_SYMBOLS: (p, reader, writer) =>
    `The ${reader} schema is missing enum symbols '${p.detail}' at path '${p.location}' in the ${writer} schema`,
  NAME_MISMATCH: (p, reader) =>
    `The name of the schema has changed (path '${p.location}') in the ${reader} schema (${p.detail})`,
  FIXED_SIZE_MISMATCH: (p, reader, writer) =>
    `The size of FIXED type field at path '${p.location}' in the ${reader} schema does not match with the ${writer} schema (${p.detail})`,
};

/** Confluent-style messages: `{errorType:'…', description:'…', additionalInfo:'…'}` plus the version and level. */
export function describeFailures(
  failures: readonly CompatibilityFailure[],
  level: CompatibilityLevel,
): string[] {
  const messages: string[] = [];
  for (const failure of failures) {
    const [reader, writer] = failure.direction === 'backward' ? ['new', 'old'] : ['old', 'new'];
    for (const problem of failure.problems) {
      messages.push(
        `{errorType:'${problem.type}', description:'${DESCRIPTIONS[problem.type](problem, reader, writer)}', additionalInfo:'${problem.detail}'}`,
      );
    }
    messages.push(`{oldSchemaVersion: ${failure.version}}`);
  }
  if (messages.length > 0) messages.push(`{compatibility: '${level}'}`);
  return messages;
}
