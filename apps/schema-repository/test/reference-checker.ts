import type { Type } from 'avsc';
import type { Incompatibility } from '../src/avro/compatibility';

/**
 * The compatibility checker as it was before pairs were memoized, kept
 * verbatim as the reference the memoized one is tested against on small
 * schemas (on larger ones it takes exponential time: that was the bug).
 */
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
export function referenceIncompatibilities(reader: Type, writer: Type): Incompatibility[] {
  return new Checker().check(reader, writer, '');
}
