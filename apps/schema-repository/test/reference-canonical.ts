/**
 * The canonical form as it was first written (before sorted data was reused
 * rather than copied), kept verbatim: stored fingerprints depend on every
 * byte of it, so the current one must print exactly the same text.
 */
const PRIMITIVES = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);

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
function normalizeType(node: unknown): unknown {
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

/** Data values (defaults, custom properties): objects get sorted keys, arrays keep their order. */
function sortData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortData);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) out[key] = sortData(object[key]);
  return out;
}

/** The canonical text as first written. */
export function referenceCanonicalText(schema: unknown): string {
  return JSON.stringify(normalizeType(schema));
}
