import type { Type } from 'avsc';
import { DEFAULT_SCHEMA_BOUNDS, SchemaBoundError } from './schema-bounds';
import { PRIMITIVES, type AvroType } from './schema-reader';

/**
 * Avro reader/writer compatibility, following Apache Avro's
 * `SchemaCompatibility.checkReaderWriterCompatibility` (the check Confluent's
 * registry runs), on the repository's schema model or on avsc types:
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
 * As in Avro, each reader/writer pair is compared once and its answer
 * memoized; a pair met again while it is still being compared (a recursive
 * type) is assumed compatible. Without the memo, a type reached along two
 * paths is compared twice, and a chain of such types doubles the work at
 * every level. Everything else is indexed (fields by name, symbols in sets,
 * union branches by kind and name), so a check costs about the pairs it
 * visits; their number is bounded by `maxComparisons`.
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

/** A parsed schema: the repository's own model, or an avsc type. */
export type CheckedType = AvroType | Type;

export interface CheckOptions {
  /** Most pairs (and reported problems) one check may visit before it gives up. */
  maxComparisons?: number;
}

/** What the checker reads of a type, whichever parser made it. */
interface Node {
  typeName: string;
  name?: string;
  aliases?: readonly unknown[];
  /** The repository's model keeps aliases as written, with the namespace that qualifies them. */
  aliasSpace?: string;
  fields?: readonly FieldNode[];
  symbols?: readonly unknown[];
  default?: unknown;
  size?: number;
  itemsType?: Node;
  valuesType?: Node;
  types?: readonly Node[];
  underlyingType?: Node;
}

interface FieldNode {
  name: string;
  aliases?: unknown;
  type: Node;
  defaultValue(): unknown;
}

interface NameFacts {
  short: number;
  space: number;
  /** Full names the type answers to besides its own, as `space`/`short` keys. */
  aliases: Set<number>;
}

interface UnionIndex {
  /** Branch indices by kind, in branch order. */
  byKind: Map<string, number[]>;
  /** Named branches by kind and short name, or kind and alias. */
  byName: Map<string, number[]>;
}

const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

function kind(type: Node): string {
  const name = type.typeName;
  if (name.startsWith('union')) return 'union';
  if (name.startsWith('logical:')) return kind(type.underlyingType!);
  return name;
}

function underlying(type: Node): Node {
  return type.typeName.startsWith('logical:') ? underlying(type.underlyingType!) : type;
}

const PROMOTIONS: Record<string, readonly string[]> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  bytes: ['string'],
  string: ['bytes'],
};

/** Reader kinds that read a writer kind by promotion. */
const PROMOTED_FROM: Record<string, string[]> = {};
for (const [reader, writers] of Object.entries(PROMOTIONS)) {
  for (const writer of writers) (PROMOTED_FROM[writer] ??= []).push(reader);
}

const IN_PROGRESS: readonly Incompatibility[] = Object.freeze([]);
/** Name keys are `spaceId * PAIR + shortId`: exact while ids stay below 2^26. */
const PAIR = 2 ** 26;
/** Unions up to this width are scanned; wider ones indexed. */
const SMALL_UNION = 8;

class Checker {
  /** Answers by reader, then writer. */
  private readonly memo = new Map<Node, Map<Node, readonly Incompatibility[]>>();
  private readonly strings = new Map<string, number>();
  private readonly names = new WeakMap<Node, NameFacts>();
  private readonly writerFields = new Map<Node, Map<string, number>>();
  private readonly symbolSets = new WeakMap<Node, Set<unknown>>();
  private readonly unions = new WeakMap<Node, UnionIndex>();
  private comparisons = 0;

  constructor(private readonly maxComparisons: number) {}

  check(readerType: Node, writerType: Node, location: string): readonly Incompatibility[] {
    this.count(1);
    const reader = underlying(readerType);
    const writer = underlying(writerType);
    // A primitive on either side answers without reaching a named type, so
    // without recursion: nothing to remember (and most pairs are such).
    if (PRIMITIVES.has(reader.typeName) || PRIMITIVES.has(writer.typeName)) {
      return this.compare(reader, writer, location);
    }
    let answers = this.memo.get(reader);
    if (!answers) {
      answers = new Map();
      this.memo.set(reader, answers);
    }
    const known = answers.get(writer);
    if (known !== undefined) return known;
    answers.set(writer, IN_PROGRESS);
    const problems = this.compare(reader, writer, location);
    answers.set(writer, problems);
    return problems;
  }

  private count(n: number): void {
    this.comparisons += n;
    if (this.comparisons > this.maxComparisons) {
      throw new SchemaBoundError(
        'maxComparisons',
        this.maxComparisons,
        `checking compatibility needs more than the limit of ${this.maxComparisons} type comparisons`,
      );
    }
  }

  private intern(text: string): number {
    let id = this.strings.get(text);
    if (id === undefined) {
      id = this.strings.size;
      this.strings.set(text, id);
    }
    return id;
  }

  /** A full name split at its last dot into interned namespace and short name. */
  private nameKey(space: string, short: string): number {
    return this.intern(space) * PAIR + this.intern(short);
  }

  private nameFacts(type: Node): NameFacts {
    let facts = this.names.get(type);
    if (facts) return facts;
    const full = type.name ?? '';
    const dot = full.lastIndexOf('.');
    const aliases = new Set<number>();
    for (const alias of type.aliases ?? []) {
      if (typeof alias !== 'string') continue;
      const last = alias.slice(alias.lastIndexOf('.') + 1);
      if (PRIMITIVES.has(last)) aliases.add(this.nameKey('', last));
      else if (alias.includes('.')) {
        const bare = alias.replace(/^\./, '');
        aliases.add(this.nameKey(bare.slice(0, bare.lastIndexOf('.')), last));
      } else aliases.add(this.nameKey(type.aliasSpace ?? '', alias));
    }
    this.count(aliases.size);
    facts = {
      short: this.intern(dot < 0 ? full : full.slice(dot + 1)),
      space: this.intern(dot < 0 ? '' : full.slice(0, dot)),
      aliases,
    };
    this.names.set(type, facts);
    return facts;
  }

  private namesMatch(reader: Node, writer: Node): boolean {
    const r = this.nameFacts(reader);
    const w = this.nameFacts(writer);
    return r.short === w.short || r.aliases.has(w.space * PAIR + w.short);
  }

  private compare(reader: Node, writer: Node, location: string): readonly Incompatibility[] {
    const r = kind(reader);
    const w = kind(writer);
    if (r === w) {
      switch (r) {
        case 'array':
          return this.check(reader.itemsType!, writer.itemsType!, `${location}/items`);
        case 'map':
          return this.check(reader.valuesType!, writer.valuesType!, `${location}/values`);
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
    if (r === 'union') return this.readerUnion(reader, writer, w, location);
    if (PROMOTIONS[r]?.includes(w)) return [];
    return [
      {
        type: 'TYPE_MISMATCH',
        location,
        detail: `reader type: ${r.toUpperCase()} not compatible with writer type: ${w.toUpperCase()}`,
      },
    ];
  }

  private unionIndex(union: Node): UnionIndex {
    let index = this.unions.get(union);
    if (index) return index;
    index = { byKind: new Map(), byName: new Map() };
    const add = (map: Map<string, number[]>, key: string, position: number) => {
      const list = map.get(key);
      if (list) list.push(position);
      else map.set(key, [position]);
    };
    const branches = union.types!;
    this.count(branches.length);
    for (const [position, raw] of branches.entries()) {
      const branch = underlying(raw);
      const branchKind = kind(branch);
      add(index.byKind, branchKind, position);
      if (NAMED.has(branchKind)) {
        const facts = this.nameFacts(branch);
        add(index.byName, `${branchKind}:${facts.short}`, position);
        for (const alias of facts.aliases) add(index.byName, `${branchKind}:=${alias}`, position);
      }
    }
    this.unions.set(union, index);
    return index;
  }

  /**
   * Some branch must read the writer. Only branches of the writer's kind
   * (with a matching name, for named kinds) or of a kind it promotes to can:
   * the index finds those, tried in branch order as Avro does.
   */
  private readerUnion(
    reader: Node,
    writer: Node,
    w: string,
    location: string,
  ): readonly Incompatibility[] {
    const branches = reader.types!;
    let candidates: number[];
    let sameKind: number | undefined;
    if (branches.length <= SMALL_UNION) {
      // A handful of branches: scanning is cheaper than an index.
      candidates = [];
      this.count(1);
      for (let position = 0; position < branches.length; position++) {
        const branch = underlying(branches[position]!);
        const branchKind = kind(branch);
        if (branchKind === w) {
          sameKind ??= position;
          if (!NAMED.has(w) || this.namesMatch(branch, writer)) candidates.push(position);
        } else if (PROMOTIONS[branchKind]?.includes(w)) candidates.push(position);
      }
    } else {
      const index = this.unionIndex(reader);
      candidates = [];
      if (NAMED.has(w)) {
        const facts = this.nameFacts(writer);
        candidates.push(
          ...(index.byName.get(`${w}:${facts.short}`) ?? []),
          ...(index.byName.get(`${w}:=${facts.space * PAIR + facts.short}`) ?? []),
        );
      } else {
        candidates.push(...(index.byKind.get(w) ?? []));
      }
      for (const promoted of PROMOTED_FROM[w] ?? []) {
        candidates.push(...(index.byKind.get(promoted) ?? []));
      }
      this.count(candidates.length);
      candidates.sort((a, b) => a - b);
      sameKind = index.byKind.get(w)?.[0];
    }
    for (const position of candidates) {
      if (this.check(branches[position]!, writer, `${location}/${position}`).length === 0) {
        return [];
      }
    }
    // Avro reports only the missing branch; when a branch of the same kind
    // exists, its own problems (a field without default, …) say more.
    return sameKind !== undefined
      ? this.check(branches[sameKind]!, writer, `${location}/${sameKind}`)
      : [
          {
            type: 'MISSING_UNION_BRANCH',
            location,
            detail: `reader union lacking writer type: ${w.toUpperCase()}`,
          },
        ];
  }

  private writerUnion(reader: Node, writer: Node, location: string): Incompatibility[] {
    const problems: Incompatibility[] = [];
    const seen = new Set<Incompatibility>();
    for (const [index, branch] of writer.types!.entries()) {
      this.collect(problems, seen, this.check(reader, branch, `${location}/${index}`));
    }
    return problems;
  }

  /**
   * Adds problems not collected yet. A pair met along several paths answers
   * with the same problem objects each time (memoized, with the location of
   * its first visit, as in Avro); reporting them once keeps a type reached
   * along 2^n paths from reporting 2^n copies.
   */
  private collect(
    into: Incompatibility[],
    seen: Set<Incompatibility>,
    problems: readonly Incompatibility[],
  ): void {
    this.count(problems.length);
    for (const problem of problems) {
      if (seen.has(problem)) continue;
      seen.add(problem);
      into.push(problem);
    }
  }

  private fixed(reader: Node, writer: Node, location: string): Incompatibility[] {
    if (!this.namesMatch(reader, writer)) {
      return [
        { type: 'NAME_MISMATCH', location: `${location}/name`, detail: `expected: ${writer.name}` },
      ];
    }
    if (reader.size !== writer.size) {
      return [
        {
          type: 'FIXED_SIZE_MISMATCH',
          location: `${location}/size`,
          detail: `expected: ${writer.size}, found: ${reader.size}`,
        },
      ];
    }
    return [];
  }

  private enumeration(reader: Node, writer: Node, location: string): Incompatibility[] {
    if (!this.namesMatch(reader, writer)) {
      return [
        { type: 'NAME_MISMATCH', location: `${location}/name`, detail: `expected: ${writer.name}` },
      ];
    }
    if (reader.default !== undefined) return [];
    let symbols = this.symbolSets.get(reader);
    if (!symbols) {
      symbols = new Set(reader.symbols);
      this.count(symbols.size);
      this.symbolSets.set(reader, symbols);
    }
    const written = writer.symbols ?? [];
    this.count(written.length);
    const missing = written.filter((symbol) => !symbols.has(symbol));
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

  /** A writer record's field positions by name. */
  private fieldsOf(writer: Node): Map<string, number> {
    let byName = this.writerFields.get(writer);
    if (byName) return byName;
    byName = new Map();
    const fields = writer.fields ?? [];
    this.count(fields.length);
    for (let index = 0; index < fields.length; index++) {
      const name = fields[index]!.name;
      if (!byName.has(name)) byName.set(name, index);
    }
    this.writerFields.set(writer, byName);
    return byName;
  }

  private record(reader: Node, writer: Node, location: string): Incompatibility[] {
    if (!this.namesMatch(reader, writer)) {
      return [
        { type: 'NAME_MISMATCH', location: `${location}/name`, detail: `expected: ${writer.name}` },
      ];
    }
    const writerFields = this.fieldsOf(writer);
    const written = writer.fields!;
    const fields = reader.fields ?? [];
    const problems: Incompatibility[] = [];
    const seen = new Set<Incompatibility>();
    for (let index = 0; index < fields.length; index++) {
      const field = fields[index]!;
      let match = writerFields.get(field.name);
      if (match === undefined && Array.isArray(field.aliases)) {
        // The first writer field, in writer order, that a reader alias names.
        this.count(field.aliases.length);
        for (const alias of field.aliases as unknown[]) {
          const candidate = typeof alias === 'string' ? writerFields.get(alias) : undefined;
          if (candidate !== undefined && (match === undefined || candidate < match))
            match = candidate;
        }
      }
      if (match === undefined) {
        this.count(1);
        if (field.defaultValue() === undefined) {
          problems.push({
            type: 'READER_FIELD_MISSING_DEFAULT_VALUE',
            location: `${location}/fields/${index}`,
            detail: field.name,
          });
        }
        continue;
      }
      const writerType = written[match]!.type;
      this.collect(
        problems,
        seen,
        this.check(field.type, writerType, `${location}/fields/${index}/type`),
      );
    }
    return problems;
  }
}

/** What stops `reader` from decoding data written with `writer`; empty when it can. */
export function readerWriterIncompatibilities(
  reader: CheckedType,
  writer: CheckedType,
  options: CheckOptions = {},
): readonly Incompatibility[] {
  const checker = new Checker(options.maxComparisons ?? DEFAULT_SCHEMA_BOUNDS.maxComparisons);
  return checker.check(reader as unknown as Node, writer as unknown as Node, '');
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
  type: CheckedType;
}

export interface CompatibilityFailure {
  /** The earlier version the candidate cannot coexist with. */
  version: number;
  /** Whether the candidate fails as the reader (new reads old) or as the writer (old reads new). */
  direction: 'backward' | 'forward';
  problems: readonly Incompatibility[];
}

/**
 * The versions a level checks a candidate against, in checking order:
 * non-transitive levels the latest only, transitive ones every version,
 * newest first.
 */
export function compatibilityTargets<T>(level: CompatibilityLevel, previous: readonly T[]): T[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const newestFirst = [...previous].reverse();
  return level.endsWith('_TRANSITIVE') ? newestFirst : newestFirst.slice(0, 1);
}

/** The candidate against one earlier version, in the level's directions. */
export function checkAgainst(
  level: CompatibilityLevel,
  candidate: CheckedType,
  target: PreviousVersion,
  options: CheckOptions = {},
): CompatibilityFailure[] {
  const failures: CompatibilityFailure[] = [];
  if (level.startsWith('BACKWARD') || level.startsWith('FULL')) {
    const problems = readerWriterIncompatibilities(candidate, target.type, options);
    if (problems.length > 0)
      failures.push({ version: target.version, direction: 'backward', problems });
  }
  if (level.startsWith('FORWARD') || level.startsWith('FULL')) {
    const problems = readerWriterIncompatibilities(target.type, candidate, options);
    if (problems.length > 0)
      failures.push({ version: target.version, direction: 'forward', problems });
  }
  return failures;
}

/**
 * Checks a candidate against a subject's live versions (oldest first) at a
 * compatibility level. Non-transitive levels look at the latest version only;
 * transitive ones at every version, newest first, stopping at the first failure.
 */
export function checkCompatibility(
  level: CompatibilityLevel,
  candidate: CheckedType,
  previous: readonly PreviousVersion[],
  options: CheckOptions = {},
): CompatibilityFailure[] {
  for (const target of compatibilityTargets(level, previous)) {
    const failures = checkAgainst(level, candidate, target, options);
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
