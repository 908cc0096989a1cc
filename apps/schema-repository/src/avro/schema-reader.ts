import {
  InvalidSchemaError,
  SchemaBoundError,
  type SchemaBound,
  type SchemaBounds,
} from './schema-bounds';

/**
 * The repository's reader of Avro schema JSON: it validates a schema and
 * builds the type graph the compatibility checker walks, in time linear in
 * the schema's size and within `SchemaBounds`.
 *
 * avsc (which the registry used before, and which JavaScript clients such as
 * `@kafkajs/confluent-schema-registry` parse fetched schemas with) compiles a
 * reader, a writer, a skipper, a checker and constructors for every record —
 * about 150 µs per record, seconds for a schema of a few thousand records. A
 * registry needs none of that. This reader accepts what avsc accepts, as avsc
 * parses with `noAnonymousTypes` and no logical types (a differential
 * property test holds it to that), so every schema the registry accepts
 * still parses in avsc. It deviates only where avsc would look a name up on
 * `Object.prototype` and accept garbage: a type named `constructor`, a
 * reference to `toString`, an enum default `valueOf` that is no symbol —
 * refused here.
 *
 * Node shapes mirror avsc's (`typeName`, `fields`, `symbols`, `itemsType`,
 * …) so the checker reads both.
 */

export type PrimitiveName =
  'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface AvroPrimitive {
  readonly typeName: PrimitiveName;
}

export interface AvroField {
  readonly name: string;
  /** As written; the checker matches writer field names against them. */
  readonly aliases: readonly string[];
  readonly type: AvroType;
  /** The default as written in JSON; `undefined` when the field has none. */
  defaultValue(): unknown;
}

interface AvroNamed {
  /** Full name. */
  readonly name: string;
  /** As written: qualified with `aliasSpace` unless they contain a dot. */
  readonly aliases: readonly string[];
  readonly aliasSpace: string | undefined;
}

export interface AvroRecord extends AvroNamed {
  readonly typeName: 'record' | 'error';
  readonly fields: readonly AvroField[];
}

export interface AvroEnum extends AvroNamed {
  readonly typeName: 'enum';
  /** As avsc keys them: a symbol written `["A"]` is `A`. */
  readonly symbols: readonly string[];
  readonly default: unknown;
}

export interface AvroFixed extends AvroNamed {
  readonly typeName: 'fixed';
  readonly size: number;
}

export interface AvroArray {
  readonly typeName: 'array';
  readonly itemsType: AvroType;
}

export interface AvroMap {
  readonly typeName: 'map';
  readonly valuesType: AvroType;
}

export interface AvroUnion {
  /** Wrapped when two branches fall in one JavaScript bucket (avsc's rule); it decides how defaults convert. */
  readonly typeName: 'union:wrapped' | 'union:unwrapped';
  readonly types: readonly AvroType[];
}

export type AvroType =
  AvroPrimitive | AvroRecord | AvroEnum | AvroFixed | AvroArray | AvroMap | AvroUnion;

/** Avro's primitive type names. */
export const PRIMITIVES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);
const TYPE_NAMES: ReadonlySet<string> = new Set([
  ...PRIMITIVES,
  'record',
  'error',
  'enum',
  'fixed',
  'array',
  'map',
]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ORDERS: ReadonlySet<unknown> = new Set(['ascending', 'descending', 'ignore']);

/** avsc keeps named types, enum symbols and union branches in plain objects: these keys are "taken" there. */
const OBJECT_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));
/** Keys a default value can inherit, which avsc's `value[field.name]` would then read. */
const INHERITED_KEYS: ReadonlySet<string> = new Set(
  [Object, Array, String, Number, Boolean].flatMap((type) =>
    Object.getOwnPropertyNames(type.prototype),
  ),
);

const RECORD_KEYS: ReadonlySet<string> = new Set([
  'type',
  'name',
  'namespace',
  'aliases',
  'fields',
]);
const ENUM_KEYS: ReadonlySet<string> = new Set([
  'type',
  'name',
  'namespace',
  'aliases',
  'symbols',
  'default',
]);
const FIXED_KEYS: ReadonlySet<string> = new Set(['type', 'name', 'namespace', 'aliases', 'size']);
const ARRAY_KEYS: ReadonlySet<string> = new Set(['type', 'items']);
const MAP_KEYS: ReadonlySet<string> = new Set(['type', 'values']);
const PRIMITIVE_KEYS: ReadonlySet<string> = new Set(['type']);
const FIELD_KEYS: ReadonlySet<string> = new Set(['name', 'type', 'order', 'default']);

const SAFE_LONG = 9007199254740990;

class Field implements AvroField {
  constructor(
    readonly name: string,
    readonly aliases: readonly string[],
    readonly type: AvroType,
    private readonly value: unknown,
    /** Whether avsc, re-validating the converted default inside a record default, accepts it. */
    readonly stableDefault: boolean,
  ) {}

  defaultValue(): unknown {
    return this.value;
  }
}

interface RecordFacts {
  complete: boolean;
  byName: Map<string, Field>;
  /** Fields with no default, or one avsc cannot reuse. */
  required: Set<string>;
  /** Of those, the ones a record default must give (see `mustGive`), once known. */
  mustGive?: ReadonlySet<string>;
  /** Fields named like a property a default value could inherit. */
  inheritable: Field[];
}

/** A default that does not match its type. */
class DefaultMismatch extends Error {}

type Json = Record<string, unknown>;

function preview(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function bucket(type: AvroType): string {
  switch (type.typeName) {
    case 'double':
    case 'float':
    case 'int':
    case 'long':
      return 'number';
    case 'bytes':
    case 'fixed':
      return 'buffer';
    case 'enum':
      return 'string';
    case 'map':
    case 'error':
    case 'record':
      return 'object';
    default:
      return type.typeName;
  }
}

/**
 * Reads one schema and, before it, the schemas its references bring in: all
 * share one set of named types, so the bounds count them together.
 */
export class SchemaReader {
  private readonly names = new Map<string, AvroType>();
  /** Qualified references by namespace, so a long namespace is not rebuilt per reference. */
  private readonly resolved = new Map<string, Map<string, AvroType>>();
  private readonly facts = new WeakMap<AvroRecord, RecordFacts>();
  private readonly symbolKeys = new WeakMap<AvroEnum, Set<string>>();
  private namedTypes = 0;
  /** Where the reader is: attribute names and indices from the root. */
  private readonly path: (string | number)[] = [];

  constructor(private readonly bounds: SchemaBounds) {}

  /** Whether a named type of this full name was read already. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  read(schema: unknown): AvroType {
    this.path.length = 0;
    return this.type(schema, undefined, 1);
  }

  private exceeded(bound: SchemaBound, message: string): SchemaBoundError {
    return new SchemaBoundError(bound, this.bounds[bound], message);
  }

  private type(schema: unknown, space: string | undefined, depth: number): AvroType {
    if (depth > this.bounds.maxDepth) {
      throw this.exceeded(
        'maxDepth',
        `types nest deeper than the limit of ${this.bounds.maxDepth} levels (at ${this.where()})`,
      );
    }
    if (schema === null) throw new InvalidSchemaError('invalid type: null (did you mean "null"?)');
    if (typeof schema === 'string') return this.reference(schema, space);
    if (Array.isArray(schema)) return this.union(schema, space, depth);
    if (typeof schema !== 'object') throw new InvalidSchemaError('unknown type: undefined');
    const object = schema as Json;
    const typeName = this.key(object['type']);
    if (!TYPE_NAMES.has(typeName)) {
      throw new InvalidSchemaError(`unknown type: ${preview(object['type'])}`);
    }
    switch (typeName) {
      case 'record':
      case 'error':
        return this.record(object, space, depth);
      case 'enum':
        return this.enumeration(object, space);
      case 'fixed':
        return this.fixed(object, space);
      case 'array': {
        if (!object['items']) throw new InvalidSchemaError('missing array items');
        this.values(object, ARRAY_KEYS);
        this.path.push('items');
        const itemsType = this.type(object['items'], space, depth + 1);
        this.path.pop();
        return { typeName: 'array', itemsType };
      }
      case 'map': {
        if (!object['values']) throw new InvalidSchemaError('missing map values');
        this.values(object, MAP_KEYS);
        this.path.push('values');
        const valuesType = this.type(object['values'], space, depth + 1);
        this.path.pop();
        return { typeName: 'map', valuesType };
      }
      default:
        this.values(object, PRIMITIVE_KEYS);
        return { typeName: typeName as PrimitiveName };
    }
  }

  private reference(text: string, space: string | undefined): AvroType {
    const scope = space ?? '';
    let known = this.resolved.get(scope);
    const hit = known?.get(text);
    if (hit) return hit;
    const name = this.qualify(text, space);
    let type = OBJECT_KEYS.has(name) ? undefined : this.names.get(name);
    if (!type && PRIMITIVES.has(name)) {
      type = { typeName: name as PrimitiveName };
      this.names.set(name, type);
    }
    if (!type) throw new InvalidSchemaError(`undefined type name: ${preview(name)}`);
    if (!known) {
      known = new Map();
      this.resolved.set(scope, known);
    }
    known.set(text, type);
    return type;
  }

  private union(branches: unknown[], space: string | undefined, depth: number) {
    if (branches.length > this.bounds.maxUnionBranches) {
      throw this.exceeded(
        'maxUnionBranches',
        `a union has ${branches.length} branches, more than the limit of ${this.bounds.maxUnionBranches} (at ${this.where()})`,
      );
    }
    if (branches.length === 0) throw new InvalidSchemaError('empty union');
    const types: AvroType[] = [];
    const names = new Set<string>();
    const buckets = new Set<string>();
    let wrapped = false;
    for (let index = 0; index < branches.length; index++) {
      const branch = branches[index];
      if (Array.isArray(branch)) throw new InvalidSchemaError('unions cannot be directly nested');
      this.path.push(index);
      const type = this.type(branch, space, depth);
      this.path.pop();
      const name = 'name' in type ? type.name : type.typeName;
      if (names.has(name) || OBJECT_KEYS.has(name)) {
        throw new InvalidSchemaError(`duplicate union branch name: ${preview(name)}`);
      }
      names.add(name);
      const kind = bucket(type);
      if (buckets.has(kind)) wrapped = true;
      buckets.add(kind);
      types.push(type);
    }
    return { typeName: wrapped ? 'union:wrapped' : 'union:unwrapped', types } as AvroUnion;
  }

  /** Name, registration and aliases of a named type, as avsc's `Type` constructor does them. */
  private named(object: Json, space: string | undefined): AvroNamed {
    const raw = object['name'];
    if (raw === undefined) throw new InvalidSchemaError('missing name property in schema');
    const name = this.qualify(raw, space);
    if (PRIMITIVES.has(name)) {
      throw new InvalidSchemaError(`cannot rename primitive type: ${preview(name)}`);
    }
    if (name.length > this.bounds.maxNameLength) {
      throw this.exceeded(
        'maxNameLength',
        `the name ${preview(name)} is longer than the limit of ${this.bounds.maxNameLength} characters (at ${this.where()})`,
      );
    }
    if (this.names.has(name) || OBJECT_KEYS.has(name)) {
      throw new InvalidSchemaError(`duplicate type name: ${name}`);
    }
    if (++this.namedTypes > this.bounds.maxNamedTypes) {
      throw this.exceeded(
        'maxNamedTypes',
        `more than the limit of ${this.bounds.maxNamedTypes} named types (records, enums and fixed, references included)`,
      );
    }
    const rawAliases = object['aliases'];
    const aliases: string[] = [];
    if (rawAliases) {
      if (!Array.isArray(rawAliases)) throw new InvalidSchemaError('aliases must be an array');
      let checkedSpace = false;
      for (const alias of rawAliases) {
        if (typeof alias !== 'string') throw new InvalidSchemaError('invalid alias: not a string');
        const dotted = alias.includes('.');
        const last = dotted ? alias.slice(alias.lastIndexOf('.') + 1) : alias;
        if (!PRIMITIVES.has(last)) {
          const bare = dotted ? alias.replace(/^\./, '') : alias;
          for (const part of bare.split('.')) {
            if (!NAME.test(part)) throw new InvalidSchemaError(`invalid name: ${preview(alias)}`);
          }
          const length = !dotted && space ? space.length + 1 + alias.length : bare.length;
          if (length > this.bounds.maxNameLength) {
            throw this.exceeded(
              'maxNameLength',
              `the alias ${preview(alias)} is longer than the limit of ${this.bounds.maxNameLength} characters (at ${this.where()})`,
            );
          }
          if (!dotted && space && !checkedSpace) {
            for (const part of space.split('.')) {
              if (!NAME.test(part)) {
                throw new InvalidSchemaError(`invalid name: ${preview(`${space}.${alias}`)}`);
              }
            }
            checkedSpace = true;
          }
        }
        aliases.push(alias);
      }
    }
    return { name, aliases, aliasSpace: space };
  }

  private record(object: Json, space: string | undefined, depth: number): AvroRecord {
    // A record's namespace also qualifies what it contains; without one, a
    // dotted name implies it.
    let inner = space;
    const declared = object['namespace'];
    const rawName = object['name'];
    if (declared !== undefined) inner = this.space(declared);
    else if (typeof rawName === 'string' && rawName) {
      const dot = rawName.lastIndexOf('.');
      if (dot >= 0) inner = rawName.slice(0, dot) || undefined;
    }
    const named = this.named(object, inner);
    const fields = object['fields'];
    if (!Array.isArray(fields)) throw new InvalidSchemaError('non-array record fields');
    const byName = new Map<string, Field>();
    const seen = new Set<string>();
    for (const field of fields) {
      if (field === null || field === undefined) throw new InvalidSchemaError('invalid field');
      const name = (field as Json)['name'];
      if (typeof name === 'string') {
        if (seen.has(name)) throw new InvalidSchemaError(`duplicate field name: ${name}`);
        seen.add(name);
      }
    }
    const record: { typeName: 'record' | 'error'; fields: Field[] } & AvroNamed = {
      typeName: object['type'] === 'error' ? 'error' : 'record',
      ...named,
      fields: [],
    };
    const facts: RecordFacts = {
      complete: false,
      byName,
      required: new Set(),
      inheritable: [],
    };
    this.names.set(named.name, record);
    this.facts.set(record, facts);
    this.values(object, RECORD_KEYS);
    const read: Field[] = [];
    this.path.push('fields', 0);
    for (let index = 0; index < fields.length; index++) {
      this.path[this.path.length - 1] = index;
      read.push(this.field(fields[index], inner, depth));
    }
    this.path.length -= 2;
    record.fields = read;
    for (const field of read) {
      byName.set(field.name, field);
      if (!field.stableDefault) facts.required.add(field.name);
      if (INHERITED_KEYS.has(field.name)) facts.inheritable.push(field);
    }
    facts.complete = true;
    return record;
  }

  private field(input: unknown, space: string | undefined, depth: number): Field {
    const object = (typeof input === 'object' ? input : {}) as Json;
    const name = typeof input === 'object' ? object['name'] : undefined;
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new InvalidSchemaError(`invalid field name: ${preview(name)}`);
    }
    this.path.push('type');
    const type = this.type(object['type'], space, depth + 1);
    this.path.pop();
    const order = object['order'];
    if (order !== undefined && !ORDERS.has(order)) {
      throw new InvalidSchemaError(`invalid order: ${preview(order)}`);
    }
    this.values(object, FIELD_KEYS);
    const rawAliases = object['aliases'];
    const aliases = Array.isArray(rawAliases)
      ? rawAliases.filter((alias): alias is string => typeof alias === 'string')
      : [];
    const value = object['default'];
    if (value === undefined) return new Field(name, aliases, type, undefined, false);
    let stable: boolean;
    this.path.push('default');
    try {
      stable = this.conforms(type, value, 0);
    } catch (error) {
      if (!(error instanceof DefaultMismatch)) throw error;
      throw new InvalidSchemaError(
        `incompatible field default ${preview(value)} (at ${this.where()})`,
      );
    }
    this.path.pop();
    return new Field(name, aliases, type, value, stable);
  }

  private enumeration(object: Json, space: string | undefined): AvroEnum {
    const own = object['namespace'] === undefined ? space : this.space(object['namespace']);
    const named = this.named(object, own);
    const symbols = object['symbols'];
    if (!Array.isArray(symbols) || symbols.length === 0) {
      throw new InvalidSchemaError('invalid enum symbols');
    }
    const keys = new Set<string>();
    for (let index = 0; index < symbols.length; index++) {
      const symbol: unknown = symbols[index];
      const key = typeof symbol === 'string' ? symbol : this.key(symbol);
      if (!NAME.test(key)) throw new InvalidSchemaError(`invalid enum symbol: ${preview(symbol)}`);
      const before = keys.size;
      keys.add(key);
      if (keys.size === before || OBJECT_KEYS.has(key)) {
        throw new InvalidSchemaError(`duplicate enum symbol: ${preview(symbol)}`);
      }
    }
    const fallback = object['default'];
    if (fallback !== undefined && !keys.has(this.key(fallback))) {
      throw new InvalidSchemaError(`invalid enum default: ${preview(fallback)}`);
    }
    this.values(object, ENUM_KEYS);
    const type: AvroEnum = {
      typeName: 'enum',
      ...named,
      symbols: [...keys],
      default: fallback,
    };
    this.symbolKeys.set(type, keys);
    this.names.set(named.name, type);
    return type;
  }

  private fixed(object: Json, space: string | undefined): AvroFixed {
    const own = object['namespace'] === undefined ? space : this.space(object['namespace']);
    const named = this.named(object, own);
    const size = object['size'];
    if (typeof size !== 'number' || size !== (size | 0) || size < 0) {
      throw new InvalidSchemaError(`invalid fixed size: ${preview(size)}`);
    }
    this.values(object, FIXED_KEYS);
    const type: AvroFixed = { typeName: 'fixed', ...named, size };
    this.names.set(named.name, type);
    return type;
  }

  /** A declared namespace as avsc uses it: falsy means none, anything else is coerced to text. */
  private space(value: unknown): string | undefined {
    return value ? this.key(value) : undefined;
  }

  /** avsc's `maybeQualify`: a primitive's name stays global, a dotted name is full, others get the namespace. */
  private qualify(raw: unknown, space: string | undefined): string {
    if (typeof raw !== 'string') throw new InvalidSchemaError(`invalid name: ${preview(raw)}`);
    const dot = raw.lastIndexOf('.');
    const last = dot < 0 ? raw : raw.slice(dot + 1);
    if (PRIMITIVES.has(last)) return last;
    const name = dot >= 0 ? raw.replace(/^\./, '') : space ? `${space}.${raw}` : raw;
    if (name.length > this.bounds.maxNameLength) {
      throw this.exceeded(
        'maxNameLength',
        `the name ${preview(name)} is longer than the limit of ${this.bounds.maxNameLength} characters`,
      );
    }
    for (const part of name.split('.')) {
      if (!NAME.test(part)) throw new InvalidSchemaError(`invalid name: ${preview(name)}`);
    }
    return name;
  }

  /**
   * What JavaScript makes of a value used as a property key (avsc looks types,
   * symbols and defaults up by it): arrays join their elements, objects are
   * `[object Object]`. Arrays are walked within the depth bound.
   */
  private key(value: unknown, depth = 0): string {
    if (Array.isArray(value)) {
      if (depth >= this.bounds.maxDepth) throw this.tooDeep();
      return value
        .map((item) => (item === null || item === undefined ? '' : this.key(item, depth + 1)))
        .join(',');
    }
    if (value !== null && typeof value === 'object') return '[object Object]';
    return String(value);
  }

  private tooDeep(): SchemaBoundError {
    return this.exceeded(
      'maxDepth',
      `a value nests deeper than the limit of ${this.bounds.maxDepth} levels (at ${this.where()})`,
    );
  }

  /** Where the reader is, as a JSON-pointer-like path, for messages. */
  private where(): string {
    return `/${this.path.join('/')}`;
  }

  /** Bounds the nesting of every attribute that is data: defaults, `doc`, aliases of fields, custom properties. */
  private values(object: Json, structural: ReadonlySet<string>): void {
    if (this.bounds.maxDepth === Number.POSITIVE_INFINITY) return;
    for (const key in object) {
      const value = object[key];
      if (value === null || typeof value !== 'object' || structural.has(key)) continue;
      this.path.push(key);
      this.value(value, 0);
      this.path.pop();
    }
  }

  private value(value: unknown, depth: number): void {
    if (value === null || typeof value !== 'object') return;
    if (depth >= this.bounds.maxDepth) throw this.tooDeep();
    if (Array.isArray(value)) {
      for (const item of value) this.value(item, depth + 1);
    } else {
      for (const key in value) this.value((value as Json)[key], depth + 1);
    }
  }

  /**
   * Whether a default matches its type, as avsc's `_copy(value, {coerce: 2,
   * wrap: 2})` decides it: a union's default is its first branch's, bytes and
   * fixed are strings. Returns whether the converted value survives a second
   * conversion, which is what avsc does to a field's default when a record
   * default omits that field (bytes become buffers and fail there; so do
   * values of wrapped unions). Throws `DefaultMismatch` otherwise. `depth`
   * is the value's: a default follows its type, and a recursive type lets it
   * nest without end, so the depth bound applies here too.
   */
  private conforms(type: AvroType, value: unknown, depth: number): boolean {
    switch (type.typeName) {
      case 'null':
        return this.expect(value === null);
      case 'boolean':
        return this.expect(typeof value === 'boolean');
      case 'int':
        return this.expect(typeof value === 'number' && value === (value | 0));
      case 'long':
        return this.expect(
          typeof value === 'number' && value % 1 === 0 && value >= -SAFE_LONG && value <= SAFE_LONG,
        );
      case 'float':
      case 'double':
        return this.expect(typeof value === 'number');
      case 'string':
        return this.expect(typeof value === 'string');
      case 'bytes':
        this.expect(typeof value === 'string');
        return false;
      case 'fixed':
        this.expect(typeof value === 'string' && value.length === type.size);
        return false;
      case 'enum':
        return this.expect(this.symbolKeys.get(type)?.has(this.key(value)) === true);
      case 'array': {
        this.expect(Array.isArray(value));
        if (depth >= this.bounds.maxDepth) throw this.tooDeep();
        let stable = true;
        const items = value as unknown[];
        for (let index = 0; index < items.length; index++) {
          stable = this.conforms(type.itemsType, items[index], depth + 1) && stable;
        }
        return stable;
      }
      case 'map': {
        this.expect(value !== null && typeof value === 'object' && !Array.isArray(value));
        if (depth >= this.bounds.maxDepth) throw this.tooDeep();
        let stable = true;
        for (const key of Object.keys(value as Json)) {
          stable = this.conforms(type.valuesType, (value as Json)[key], depth + 1) && stable;
        }
        return stable;
      }
      case 'record':
      case 'error':
        return this.conformsRecord(type, value, depth);
      case 'union:unwrapped':
        return this.conforms(type.types[0]!, value, depth);
      case 'union:wrapped': {
        const first = type.types[0]!;
        if (value === null && first.typeName === 'null') return true;
        this.conforms(first, value, depth);
        // Converted to a branch wrapper `{<branch>: value}`: a second
        // conversion reads it as the first branch again, which only a record
        // whose fields all have reusable defaults survives.
        if (first.typeName !== 'record' && first.typeName !== 'error') return false;
        const facts = this.facts.get(first);
        return (
          facts !== undefined &&
          facts.complete &&
          this.mustGive(facts).size === 0 &&
          facts.inheritable.length === 0
        );
      }
    }
  }

  /**
   * avsc reads `value[field.name]` for every field and falls back to the
   * field's default when that is undefined. Walking the value's own keys
   * instead keeps this linear in the value (a default of many `{}` for a
   * record of many fields would otherwise cost their product).
   */
  private conformsRecord(type: AvroRecord, value: unknown, depth: number): boolean {
    const facts = this.facts.get(type);
    this.expect(facts !== undefined && facts.complete);
    const { byName, inheritable } = facts!;
    const required = this.mustGive(facts!);
    if (value !== null && typeof value === 'object' && depth >= this.bounds.maxDepth) {
      throw this.tooDeep();
    }
    if (type.fields.length === 0) return true;
    this.expect(value !== null && value !== undefined);
    let stable = true;
    let given = 0;
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const key in value) {
        const field = byName.get(key);
        if (!field) continue;
        stable = this.conforms(field.type, (value as Json)[key], depth + 1) && stable;
        if (required.has(key)) given++;
      }
    } else if (Array.isArray(value) || typeof value === 'string') {
      const field = byName.get('length');
      if (field) {
        stable = this.conforms(field.type, value.length, depth + 1) && stable;
        if (required.has('length')) given++;
      }
    }
    const boxed = Object(value) as object;
    for (const field of inheritable) {
      // An inherited property (a method) is what avsc would read: no type takes it.
      this.expect(Object.hasOwn(boxed, field.name) || !(field.name in boxed));
    }
    this.expect(given === required.size);
    return stable;
  }

  /**
   * The fields a record default must give. A field it omits falls back to
   * its default; one without a default is converted from `undefined`, which
   * only a record of no fields (or a union whose first branch is one) takes
   * — such fields may be omitted too. Known for good once every record
   * involved is read; until then (an enclosing record refers to itself) not
   * cached.
   */
  private mustGive(facts: RecordFacts): ReadonlySet<string> {
    if (facts.mustGive) return facts.mustGive;
    const names = new Set<string>();
    let final = true;
    for (const name of facts.required) {
      const field = facts.byName.get(name)!;
      const takes = field.defaultValue() === undefined ? this.takesUndefined(field.type) : false;
      if (takes === undefined) final = false;
      if (takes !== true) names.add(name);
    }
    if (final) facts.mustGive = names;
    return names;
  }

  /** Whether avsc converts `undefined` to this type; `undefined` while a record involved is still being read. */
  private takesUndefined(type: AvroType): boolean | undefined {
    if (type.typeName === 'union:wrapped' || type.typeName === 'union:unwrapped') {
      return this.takesUndefined(type.types[0]!);
    }
    if (type.typeName !== 'record' && type.typeName !== 'error') return false;
    if (!this.facts.get(type)?.complete) return undefined;
    return type.fields.length === 0;
  }

  private expect(condition: boolean): true {
    if (!condition) throw new DefaultMismatch();
    return true;
  }
}
