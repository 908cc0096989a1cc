import { SchemaBoundError } from './schema-bounds';
import { PRIMITIVES } from './schema-reader';

/**
 * Schema identity. Two registrations are the same schema when their normalized
 * text is equal: JSON whitespace and attribute order never matter, and a
 * primitive written as `{"type":"int"}` is the primitive `"int"`. Everything
 * else — `doc`, `default`, `aliases`, `order`, custom properties — is part of
 * the identity, as in Confluent's registry (which keys on Avro's
 * `Schema.toString()`), and unlike Avro's Parsing Canonical Form, which would
 * merge schemas that differ only in defaults.
 *
 * Attributes are written in Avro's customary order (type, name, namespace,
 * doc, …; fields: name, type, doc, default, …) followed by any other
 * properties sorted by name, so the stored text reads like what a schema owner
 * would write.
 */

const ATTRIBUTE_ORDER = [
  'type',
  'name',
  'namespace',
  'doc',
  'aliases',
  'fields',
  'symbols',
  'items',
  'values',
  'size',
  'logicalType',
  'precision',
  'scale',
  'default',
  'order',
];
const FIELD_ORDER = ['name', 'type', 'doc', 'default', 'order', 'aliases'];

function comparator(order: readonly string[]): (a: string, b: string) => number {
  const rank = new Map(order.map((key, index) => [key, index]));
  return (a, b) => {
    const ra = rank.get(a) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(b) ?? Number.MAX_SAFE_INTEGER;
    if (ra !== rb) return ra - rb;
    return a < b ? -1 : a > b ? 1 : 0;
  };
}

const compareKeys = comparator(ATTRIBUTE_ORDER);
const compareFieldKeys = comparator(FIELD_ORDER);

/** Normalizes a schema position (a type). Defaults and custom properties are data, kept verbatim except for key order. */
export function normalizeType(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalizeType);
  if (node === null || typeof node !== 'object') return node;
  const object = node as Record<string, unknown>;
  const keys = Object.keys(object);
  if (
    keys.length === 1 &&
    keys[0] === 'type' &&
    typeof object['type'] === 'string' &&
    PRIMITIVES.has(object['type'])
  ) {
    return object['type'];
  }
  const out: Record<string, unknown> = {};
  for (const key of keys.sort(compareKeys)) {
    const value = object[key];
    switch (key) {
      case 'type':
      case 'items':
      case 'values':
        out[key] = normalizeType(value);
        break;
      case 'fields':
        out[key] = Array.isArray(value) ? value.map(normalizeField) : value;
        break;
      default:
        out[key] = sortData(value);
    }
  }
  return out;
}

function normalizeField(field: unknown): unknown {
  if (field === null || typeof field !== 'object' || Array.isArray(field)) return field;
  const object = field as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort(compareFieldKeys)) {
    out[key] = key === 'type' ? normalizeType(object[key]) : sortData(object[key]);
  }
  return out;
}

/**
 * Data values (defaults, custom properties): objects get sorted keys, arrays
 * keep their order. A value that is sorted already is returned as it is
 * (a default of many small objects would otherwise be copied whole); a key
 * `__proto__` is never "sorted already", since assigning it to a copy drops it.
 */
function sortData(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const sorted = sortData(item);
      if (sorted !== item) copy ??= value.slice(0, index);
      copy?.push(sorted);
    }
    return copy ?? value;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  let ordered = true;
  let previous: string | undefined;
  let values: unknown[] | undefined;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    if (key === '__proto__') ordered = false;
    else if (!isIndex(key)) {
      if (previous !== undefined && key < previous) ordered = false;
      previous = key;
    }
    const item = object[key];
    const sorted = sortData(item);
    if (sorted !== item && !values) values = keys.slice(0, index).map((earlier) => object[earlier]);
    values?.push(sorted);
  }
  if (ordered && !values) return object;
  const positions = keys.map((_key, index) => index).sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  const out: Record<string, unknown> = {};
  for (const index of positions) out[keys[index]!] = values ? values[index] : object[keys[index]!];
  return out;
}

/** An array index key: JavaScript enumerates these first, in numeric order, in any object. */
function isIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}

/**
 * JSON text of a schema given as a JSON value. `JSON.stringify` recurses, so
 * a value nested deeper than any schema within the depth bound can be (a type
 * level takes at most five JSON levels, a value one per level) is refused
 * first, by a walk that does not recurse.
 */
export function schemaTextOf(schema: unknown, maxDepth: number): string {
  const limit = 6 * maxDepth + 8;
  const pending: [unknown, number][] = [[schema, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limit) {
      throw new SchemaBoundError(
        'maxDepth',
        maxDepth,
        `the schema nests deeper than the limit of ${maxDepth} levels allows`,
      );
    }
    for (const item of Array.isArray(value) ? value : Object.values(value)) {
      pending.push([item, depth + 1]);
    }
  }
  return JSON.stringify(schema);
}

/** The canonical text of a parsed schema JSON value. */
export function canonicalText(schema: unknown): string {
  return JSON.stringify(normalizeType(schema));
}
