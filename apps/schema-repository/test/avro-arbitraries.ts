import fc from 'fast-check';

/**
 * Avro schemas for property tests: plausible ones (mostly valid, sometimes
 * not — a default of the wrong type, a name used twice), hostile mutations of
 * them, and adversarial shapes sized up to the request body limit.
 */

/** How many inputs each property tries: small in CI, `WAIL_FUZZ_RUNS=100000` for the long run. */
export const FUZZ_RUNS = Number(process.env['WAIL_FUZZ_RUNS'] ?? 100);

/** Random choices, drawn from fast-check so failures shrink and replay. */
export interface Draw {
  int(min: number, max: number): number;
  chance(percent: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function drawFrom(g: fc.GeneratorValue): Draw {
  return {
    int: (min, max) => g(fc.integer, { min, max }),
    chance: (percent) => g(fc.integer, { min: 0, max: 99 }) < percent,
    pick: (items) => items[g(fc.integer, { min: 0, max: items.length - 1 })]!,
  };
}

const PRIMITIVES = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'];
const SHORT_NAMES = ['A', 'B', 'R', 'Node', 'Item'];
const SPACES = [undefined, undefined, 'a', 'a.b', 'x'];
const SYMBOLS = ['ONE', 'TWO', 'THREE', 'FOUR', 'Z_9'];

type Info =
  | { kind: 'primitive'; name: string }
  | { kind: 'record'; full: string; fields: FieldInfo[]; complete: boolean }
  | { kind: 'enum'; full: string; symbols: string[] }
  | { kind: 'fixed'; full: string; size: number }
  | { kind: 'array'; items: Info }
  | { kind: 'map'; values: Info }
  | { kind: 'union'; branches: Info[] };

interface FieldInfo {
  name: string;
  info: Info;
  hasDefault: boolean;
}

interface Named {
  full: string;
  space: string | undefined;
  short: string;
  info: Info;
}

/**
 * A plausible schema: records, enums, fixed, arrays, maps, unions, named
 * references (recursive ones too), namespaces, aliases, docs, custom
 * properties and defaults. `sloppy` percent of the choices that could go
 * wrong do (a bad default, a duplicate name, a dangling reference).
 */
export function plausibleSchema(draw: Draw, options: { maxDepth?: number; sloppy?: number } = {}) {
  const maxDepth = options.maxDepth ?? 4;
  const sloppy = options.sloppy ?? 3;
  const named: Named[] = [];
  let serial = 0;

  const nameFor = (): string => {
    const short = draw.pick(SHORT_NAMES);
    // Mostly unique, sometimes reused: reuse within one schema is a duplicate.
    return draw.chance(sloppy) ? short : `${short}${serial++}`;
  };

  const value = (info: Info, depth: number): unknown => {
    if (draw.chance(sloppy)) return draw.pick([null, 1, 'x', [], {}, true, 2 ** 40, 1.5]);
    switch (info.kind) {
      case 'primitive':
        switch (info.name) {
          case 'null':
            return null;
          case 'boolean':
            return draw.chance(50);
          case 'int':
          case 'long':
            return draw.int(-1000, 1000);
          case 'float':
          case 'double':
            return draw.int(-1000, 1000) / 8;
          case 'bytes':
            return draw.pick(['', 'a', '\u00ff\u0001']);
          default:
            return draw.pick(['', 'text', 'ünï']);
        }
      case 'enum':
        return draw.pick(info.symbols);
      case 'fixed':
        return 'f'.repeat(info.size);
      case 'array':
        return depth > 3
          ? []
          : Array.from({ length: draw.int(0, 2) }, () => value(info.items, depth + 1));
      case 'map':
        return depth > 3 ? {} : { k: value(info.values, depth + 1) };
      case 'union':
        return info.branches.length === 0 ? null : value(info.branches[0]!, depth);
      case 'record': {
        const object: Record<string, unknown> = {};
        for (const field of info.fields) {
          if (field.hasDefault && draw.chance(50)) continue;
          object[field.name] = depth > 3 ? null : value(field.info, depth + 1);
        }
        return object;
      }
    }
  };

  const reference = (space: string | undefined): [unknown, Info] | undefined => {
    if (named.length === 0) return undefined;
    const target = draw.pick(named);
    const text = target.space === space ? target.short : target.full;
    return [text, target.info];
  };

  const extras = (object: Record<string, unknown>) => {
    if (draw.chance(15)) object['doc'] = draw.pick(['a doc', '', 'ünïcode ✓']);
    if (draw.chance(10)) object['x-owner'] = draw.pick(['team', { b: 1, a: [2, { c: null }] }]);
  };

  const type = (depth: number, space: string | undefined): [unknown, Info] => {
    const leaf = depth >= maxDepth;
    const choice = draw.int(0, leaf ? 2 : 9);
    if (choice === 2 || (choice > 2 && leaf)) {
      const found = reference(space);
      if (found) return found;
    }
    if (choice <= 2) {
      const name = draw.pick(PRIMITIVES);
      if (draw.chance(20)) {
        const object: Record<string, unknown> = { type: name };
        if (draw.chance(30)) object['logicalType'] = draw.pick(['timestamp-micros', 'uuid']);
        return [object, { kind: 'primitive', name }];
      }
      return [name, { kind: 'primitive', name }];
    }
    switch (choice) {
      case 3:
      case 4:
        return record(depth, space);
      case 5: {
        const short = nameFor();
        const full = space ? `${space}.${short}` : short;
        const symbols = SYMBOLS.slice(0, draw.int(1, SYMBOLS.length));
        const info: Info = { kind: 'enum', full, symbols };
        const object: Record<string, unknown> = { type: 'enum', name: short, symbols };
        if (draw.chance(20)) object['default'] = draw.pick(symbols);
        if (draw.chance(10)) object['aliases'] = [`Old${short}`];
        extras(object);
        named.push({ full, space, short, info });
        return [object, info];
      }
      case 6: {
        const short = nameFor();
        const full = space ? `${space}.${short}` : short;
        const size = draw.int(0, 16);
        const info: Info = { kind: 'fixed', full, size };
        named.push({ full, space, short, info });
        return [{ type: 'fixed', name: short, size }, info];
      }
      case 7: {
        const [items, info] = type(depth + 1, space);
        return [
          { type: 'array', items },
          { kind: 'array', items: info },
        ];
      }
      case 8: {
        const [values, info] = type(depth + 1, space);
        return [
          { type: 'map', values },
          { kind: 'map', values: info },
        ];
      }
      default: {
        const branches: unknown[] = [];
        const infos: Info[] = [];
        const seen = new Set<string>();
        if (draw.chance(60)) {
          branches.push('null');
          infos.push({ kind: 'primitive', name: 'null' });
          seen.add('null');
        }
        const width = draw.int(1, 4);
        for (let i = 0; i < width; i++) {
          const [branch, info] = type(depth + 1, space);
          const key =
            'full' in info ? info.full : info.kind === 'primitive' ? info.name : info.kind;
          if (info.kind === 'union' || (seen.has(key) && !draw.chance(sloppy))) continue;
          seen.add(key);
          branches.push(branch);
          infos.push(info);
        }
        return [branches, { kind: 'union', branches: infos }];
      }
    }
  };

  const record = (depth: number, outer: string | undefined): [unknown, Info] => {
    const short = nameFor();
    const space = draw.chance(30) ? draw.pick(SPACES) : outer;
    const full = space ? `${space}.${short}` : short;
    const object: Record<string, unknown> = {
      type: draw.chance(5) ? 'error' : 'record',
      name: draw.chance(20) && space ? full : short,
    };
    if (space !== outer) object['namespace'] = space ?? '';
    if (draw.chance(10)) object['aliases'] = [`Old${short}`];
    extras(object);
    const fields: FieldInfo[] = [];
    const info: Info = { kind: 'record', full, fields, complete: false };
    named.push({ full, space, short, info });
    const written: unknown[] = [];
    const count = draw.int(0, 4);
    for (let i = 0; i < count; i++) {
      const name = draw.chance(sloppy) ? 'f0' : `f${i}`;
      const [fieldType, fieldInfo] = type(depth + 1, space);
      const field: Record<string, unknown> = { name, type: fieldType };
      let hasDefault = false;
      if (draw.chance(35)) {
        const fallback = value(fieldInfo, 0);
        if (fallback !== undefined) {
          field['default'] = fallback;
          hasDefault = true;
        }
      }
      if (draw.chance(10)) field['aliases'] = [`old_${name}`];
      if (draw.chance(5)) field['order'] = draw.pick(['ascending', 'descending', 'ignore']);
      if (draw.chance(10)) field['doc'] = 'field doc';
      written.push(field);
      fields.push({ name, info: fieldInfo, hasDefault });
    }
    object['fields'] = written;
    (info as { complete: boolean }).complete = true;
    return [object, info];
  };

  return type(0, undefined)[0];
}

const HOSTILE = [
  '',
  'constructor',
  '__proto__',
  'toString',
  'a..b',
  '.R',
  'R.',
  '1abc',
  'int',
  'a.int',
  'ünï',
  'R',
  'A0',
  'null',
  'record',
  'x'.repeat(1200),
];

/** Every path to a value inside a JSON value. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((item, i) => paths(item, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      paths((value as Record<string, unknown>)[key], [...prefix, key], out);
    }
  }
  return out;
}

/** A copy of a schema with one value replaced, removed or added somewhere: mostly invalid. */
export function mutate(draw: Draw, schema: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(schema)) as unknown;
  const all = paths(copy);
  const path = draw.pick(all);
  const replacement = (): unknown => {
    switch (draw.int(0, 6)) {
      case 0:
        return draw.pick(HOSTILE);
      case 1:
        return draw.pick([null, true, 0, -1, 1.5, 2 ** 31, [], {}, [[]], { type: 'int' }]);
      case 2:
        return draw.pick(PRIMITIVES);
      case 3:
        return draw.pick(['record', 'enum', 'fixed', 'array', 'map', 'error', 'union']);
      case 4:
        return [draw.pick(HOSTILE), draw.pick(PRIMITIVES)];
      case 5:
        return { type: draw.pick(['record', 'enum', 'fixed']), name: draw.pick(HOSTILE) };
      default:
        return plausibleSchema(draw, { maxDepth: 2 });
    }
  };
  if (path.length === 0) return replacement();
  let parent = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (!Array.isArray(parent) && draw.chance(25)) delete parent[last];
  else if (draw.chance(10) && !Array.isArray(parent)) parent[draw.pick(HOSTILE)] = replacement();
  else parent[last] = replacement();
  return copy;
}

/** A schema and a variant of it a schema owner might register next (valid or not). */
export function evolve(draw: Draw, schema: unknown): unknown {
  return draw.chance(70) ? mutate(draw, schema) : plausibleSchema(draw);
}

/** An adversarial input: a name for reports and the schema text (and a variant to check against). */
export interface Adversarial {
  shape: string;
  text: string;
  variant: string;
}

/** A size from 1 to `max`, log-uniform: most inputs are small, some are huge. */
function size(draw: Draw, max: number): number {
  const exponent = draw.int(0, Math.round(Math.log2(max) * 100)) / 100;
  return Math.max(1, Math.min(max, Math.floor(2 ** exponent)));
}

const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'record',
  name,
  fields,
  ...extra,
});
const json = (value: unknown) => JSON.stringify(value);

/** Around the default body limit: a little over, so the length bound is met too. */
const BODY = 1_050_000;

/**
 * Shapes that make a naive parser or checker do work growing faster than the
 * text, each as the schema text and a variant to check it against. Texts are
 * written directly where `JSON.stringify` could not walk the value.
 */
export const ADVERSARIAL: Record<string, (draw: Draw) => [string, string]> = {
  // The schema: each level defines the next inline and refers to it by name again.
  doubling(draw) {
    const levels = size(draw, 100);
    const level = (i: number, leaf: unknown): unknown =>
      i === levels
        ? record(`L${i}`, [{ name: 'x', type: leaf }])
        : record(`L${i}`, [
            { name: 'a', type: level(i + 1, leaf) },
            { name: 'b', type: `L${i + 1}` },
          ]);
    return [json(level(0, 'int')), json(level(0, draw.pick(['long', 'string', 'int'])))];
  },
  deepNesting(draw) {
    const levels = size(draw, 20_000);
    const wrap = draw.pick(['record', 'array', 'map', 'nullable']);
    const open: string[] = [];
    const close: string[] = [];
    for (let i = 0; i < levels; i++) {
      if (wrap === 'array') open.push('{"type":"array","items":');
      else if (wrap === 'map') open.push('{"type":"map","values":');
      else if (wrap === 'nullable')
        open.push(`["null",{"type":"record","name":"N${i}","fields":[{"name":"n","type":`);
      else open.push(`{"type":"record","name":"D${i}","fields":[{"name":"d","type":`);
      close.push(wrap === 'array' || wrap === 'map' ? '}' : wrap === 'nullable' ? '}]}]' : '}]}');
    }
    const text = `${open.join('')}"int"${close.reverse().join('')}`;
    return [text, text];
  },
  manyNamedReferences(draw) {
    const count = size(draw, 1500);
    const refs = draw.int(1, 8);
    const types = Array.from({ length: count }, (_, i) =>
      record(
        `T${i}`,
        Array.from({ length: Math.min(i, refs) }, (_, j) => ({
          name: `r${j}`,
          type: `T${i - 1 - j}`,
        })),
      ),
    );
    const root = record(
      'Root',
      types.map((type, i) => ({ name: `t${i}`, type })),
    );
    return [json(root), json(root)];
  },
  wideUnion(draw) {
    const width = size(draw, 160);
    const kind = draw.pick(['fixed', 'record', 'enum']);
    const branches = Array.from({ length: width }, (_, i) =>
      kind === 'fixed'
        ? { type: 'fixed', name: `F${i}`, size: i }
        : kind === 'enum'
          ? { type: 'enum', name: `E${i}`, symbols: ['A', `S${i}`] }
          : record(`U${i}`, [{ name: `u${i}`, type: 'int' }]),
    );
    const root = record('Root', [{ name: 'u', type: branches }]);
    const variant = record('Root', [{ name: 'u', type: branches.slice(0, -1).reverse() }]);
    return [json(root), json(variant)];
  },
  sameShortNames(draw) {
    // Records of one short name in many namespaces, each holding a union of
    // the ones before: name matching cannot rule any pair out.
    const count = size(draw, 100);
    const names = Array.from({ length: count }, (_, i) => `n${i}.R`);
    const types = names.map((name, i) =>
      record(name, [
        { name: 'next', type: ['null', ...names.slice(0, i)], default: null },
        { name: `g${i}`, type: 'int' },
      ]),
    );
    const root = record('Root', [{ name: 'all', type: types }]);
    return [json(root), json(root)];
  },
  manyUnions(draw) {
    const count = size(draw, 25_000);
    const fields = Array.from({ length: count }, (_, i) => ({
      name: `f${i}`,
      type: ['null', 'int', 'string'],
      default: null,
    }));
    return [json(record('R', fields)), json(record('R', fields.slice(1)))];
  },
  manyFields(draw) {
    const count = size(draw, 40_000);
    const fields = Array.from({ length: count }, (_, i) => ({
      name: `f${(i * 7919).toString(36)}${i}`,
      type: draw.pick(['int', 'string', 'long']),
    }));
    return [json(record('R', fields)), json(record('R', [...fields].reverse()))];
  },
  longNames(draw) {
    const length = size(draw, 3000);
    const space = Array.from({ length: Math.ceil(length / 8) }, (_, i) => `p${i % 100}abcd`)
      .join('.')
      .slice(0, length)
      .replace(/\.$/, '');
    const count = size(draw, 20_000);
    const enums = Array.from({ length: Math.min(count, 50) }, (_, i) => ({
      type: 'enum',
      name: `E${i}`,
      symbols: ['A'],
      aliases: Array.from({ length: Math.ceil(count / 50) }, (_, j) => `Alias${j}`),
    }));
    const refs = Array.from({ length: count }, (_, i) => ({
      name: `r${i}`,
      type: `E${i % enums.length}`,
    }));
    const root = record('Root', [...enums.map((type, i) => ({ name: `e${i}`, type })), ...refs], {
      namespace: space,
    });
    return [json(root), json(root)];
  },
  duplicateNames(draw) {
    const count = size(draw, 5000);
    const fields = Array.from({ length: count }, (_, i) => ({
      name: draw.chance(50) ? 'same' : `f${i}`,
      type: draw.chance(50) ? record('Same', []) : 'int',
    }));
    return [json(record('R', fields)), json(record('R', fields))];
  },
  recursive(draw) {
    const levels = size(draw, 100);
    const via = draw.pick(['union', 'array', 'map']);
    const link = (name: string) =>
      via === 'union'
        ? ['null', name]
        : via === 'array'
          ? { type: 'array', items: name }
          : { type: 'map', values: name };
    // Each record refers back to every record enclosing it, and to itself.
    const level = (i: number, leaf: string): unknown =>
      record(`C${i}`, [
        { name: 'self', type: link(`C${i}`) },
        { name: 'up', type: link(`C${Math.max(0, i - 1)}`) },
        { name: 'inner', type: i === levels ? leaf : level(i + 1, leaf) },
        { name: `v${i}`, type: 'int', default: i },
      ]);
    return [json(level(0, 'int')), json(level(0, draw.pick(['int', 'long', 'string'])))];
  },
  bigEnum(draw) {
    const count = size(draw, 120_000);
    const symbols = Array.from({ length: count }, (_, i) => `S${i}`);
    return [
      json({ type: 'enum', name: 'E', symbols }),
      json({ type: 'enum', name: 'E', symbols: symbols.filter((_, i) => i % 3 !== 0) }),
    ];
  },
  bigDefault(draw) {
    // Many `{}` for a record of many defaulted fields: checking each `{}`
    // field by field costs their product.
    const budget = size(draw, BODY);
    const wide = Math.max(1, Math.min(size(draw, 5000), Math.floor(budget / 40)));
    const item = record(
      'Item',
      Array.from({ length: wide }, (_, i) => ({ name: `g${i}`, type: 'int', default: 0 })),
    );
    const items = Math.max(0, Math.floor((budget - wide * 40) / 3));
    const root = record('R', [
      { name: 'item', type: item },
      {
        name: 'items',
        type: { type: 'array', items: 'Item' },
        default: Array.from({ length: items }, () => ({})),
      },
    ]);
    return [json(root), json(root)];
  },
  deepValues(draw) {
    const levels = size(draw, 200_000);
    const deep = `${'['.repeat(levels)}${']'.repeat(levels)}`;
    switch (draw.pick(['default', 'doc', 'property', 'symbol', 'namespace'])) {
      case 'symbol':
        return [`{"type":"enum","name":"E","symbols":[${deep}]}`, '"int"'];
      case 'namespace':
        return [`{"type":"fixed","name":"F","size":1,"namespace":${deep}}`, '"int"'];
      case 'doc':
        return [`{"type":"record","name":"R","doc":${deep},"fields":[]}`, '"int"'];
      case 'property':
        return [`{"type":"int","x-prop":${deep}}`, '"int"'];
      default:
        return [
          `{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"array","items":{"type":"array","items":"int"}},"default":${deep}}]}`,
          '"int"',
        ];
    }
  },
  manyAliases(draw) {
    const count = size(draw, 60_000);
    const aliases = Array.from({ length: count }, (_, i) => `Al${i}`);
    const namespace = 'some.long.namespace.for.every.alias';
    const reader = record('R', [{ name: 'a', type: 'int', aliases }], { aliases, namespace });
    const writer = record('W', [{ name: `Al${count - 1}`, type: 'int' }], { namespace });
    return [json(reader), json(writer)];
  },
};

export const adversarial: fc.Arbitrary<Adversarial> = fc
  .tuple(fc.constantFrom(...Object.keys(ADVERSARIAL)), fc.gen())
  .map(([shape, g]) => {
    const [text, variant] = ADVERSARIAL[shape]!(drawFrom(g));
    return { shape, text, variant };
  });

/** Raw texts: JSON bombs, truncated schemas, non-JSON. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 60_000 }).map((n) => `${'{"type":'.repeat(n)}"int"${'}'.repeat(n)}`),
  fc
    .integer({ min: 1, max: 30_000 })
    .map((n) => `${'{"type":"array","items":'.repeat(n)}"int"${'}'.repeat(n)}`),
  fc.constantFrom(
    '',
    ' ',
    'string',
    'nul',
    '"constructor"',
    'toString',
    '{"type":"constructor"}',
    '{',
  ),
);
