import fc from 'fast-check';

/**
 * Random and hostile bodies for the control plane: table routes
 * (`PUT /v1/tables/{table}`) and data models (`POST /v1/models/{table}/versions`).
 * Each generator mixes plausible values (so that some inputs are accepted
 * and the round trip is exercised) with hostile ones: wrong types, injection
 * text, lone surrogates, prototype keys, huge and deep values, and topics
 * that collide with the consumers' own.
 */

/** How many inputs each property tries: small in CI, `WAIL_FUZZ_RUNS` for the long run. */
export function fuzzRuns(ciDefault: number): number {
  const configured = Number(process.env['WAIL_FUZZ_RUNS']);
  return Number.isInteger(configured) && configured > 0 ? configured : ciDefault;
}

export const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    "'; DROP TABLE table_routes; --",
    '`id`',
    'id; DROP TABLE x',
    '\u0000',
    '\uD800',
    '${7*7}',
    '__proto__',
    'constructor',
    'prototype',
    '../../etc/passwd',
    '%00',
    '.',
    '..',
    'a'.repeat(300),
  ),
);

const identifier = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('id', 'customer_id', 'order_id', 'name', 'shop', 'x') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,70}$/) },
  { weight: 1, arbitrary: fc.constantFrom('wail_ts', '1abc', 'a-b', 'with space', 'ünïcode') },
  { weight: 1, arbitrary: hostileString },
);

export const topic = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'wail.intents',
      'wail.intents.shop',
      'wail_intents_shop',
      'wail.events.customers',
      'wail.events.orders',
      'wail_events_customers',
      'wail.intents.unmaterialized',
      'wail.dlq',
      'wail_dlq',
      'wail.fuzz.a',
      'wail.fuzz.b',
      'payments',
      '__consumer_offsets',
      '.',
      '..',
      'bad topic!',
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^wail[A-Za-z0-9._-]{0,40}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,260}$/) },
  { weight: 1, arbitrary: hostileString },
);

const anything = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
);

export const tableName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('customers', 'orders', 'fuzz_a', 'fuzz_b', 'fuzz_c') },
  { weight: 1, arbitrary: identifier },
);

const goodIdentifier = fc.oneof(
  fc.constantFrom('id', 'customer_id', 'order_id', 'shop', 'things'),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
);
const goodTopic = fc.oneof(
  fc.constantFrom('wail.intents', 'wail.intents.shop', 'wail.fuzz.a', 'wail.fuzz.b'),
  fc.stringMatching(/^wail\.[a-z0-9._-]{1,30}$/),
);

/** A route that should pass, before `mutated` breaks one of its fields. */
const plausibleRoute = fc
  .record(
    {
      store: fc.constantFrom('mysql', 'cassandra'),
      namespace: goodIdentifier,
      physicalTable: goodIdentifier,
      keyColumns: fc.uniqueArray(goodIdentifier, { minLength: 1, maxLength: 3 }),
      intentTopic: goodTopic,
      failureMode: fc.constantFrom('transactional', 'independent'),
      visibilityWindowMs: fc.integer({ min: 100, max: 3_600_000 }),
    },
    { requiredKeys: ['store', 'namespace', 'keyColumns'] },
  )
  .map(({ store, namespace, ...rest }) => ({
    store,
    [store === 'mysql' ? 'database' : 'keyspace']: namespace,
    ...rest,
  }));

/** Replaces, adds or removes one field of a body, now and then. */
function mutated(
  base: fc.Arbitrary<Record<string, unknown>>,
  fields: readonly string[],
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: base },
    {
      weight: 2,
      arbitrary: fc
        .tuple(base, fc.constantFrom(...fields), fc.oneof(anything, fc.constant(undefined)))
        .map(([body, name, value]) => {
          const copy: Record<string, unknown> = { ...body };
          if (value === undefined) delete copy[name];
          else copy[name] = value;
          return copy;
        }),
    },
  );
}

/** A `PUT /v1/tables/{table}` body: mostly shaped like a route, each field sometimes hostile. */
export const routeBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: mutated(plausibleRoute, [
      'store',
      'database',
      'keyspace',
      'physicalTable',
      'keyColumns',
      'intentTopic',
      'failureMode',
      'visibilityWindowMs',
      '__proto__',
      'colour',
    ]),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        store: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('mysql', 'cassandra') },
          { weight: 1, arbitrary: anything },
        ),
        database: fc.oneof(
          { weight: 4, arbitrary: identifier },
          { weight: 1, arbitrary: anything },
        ),
        keyspace: fc.oneof(
          { weight: 4, arbitrary: identifier },
          { weight: 1, arbitrary: anything },
        ),
        physicalTable: fc.oneof(
          { weight: 4, arbitrary: identifier },
          { weight: 1, arbitrary: anything },
        ),
        keyColumns: fc.oneof(
          { weight: 6, arbitrary: fc.array(identifier, { minLength: 1, maxLength: 4 }) },
          { weight: 1, arbitrary: fc.array(anything, { maxLength: 4 }) },
          { weight: 1, arbitrary: anything },
        ),
        intentTopic: fc.oneof({ weight: 4, arbitrary: topic }, { weight: 1, arbitrary: anything }),
        failureMode: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('transactional', 'independent') },
          { weight: 1, arbitrary: anything },
        ),
        visibilityWindowMs: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 50, max: 4_000_000 }) },
          { weight: 1, arbitrary: anything },
        ),
        revision: anything,
        table: anything,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(hostileString, anything, { maxKeys: 6 }) },
  { weight: 1, arbitrary: anything },
);

const avroType: fc.Arbitrary<unknown> = fc.letrec<{ type: unknown }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        'long',
        'int',
        'string',
        'boolean',
        'double',
        'float',
        'bytes',
        'null',
        'lng',
        'record',
        'shop.Row',
      ),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ['null', 'string'],
        ['null', 'long'],
        ['string', 'null'],
        ['null', 'int', 'string'],
        [],
        ['null', 'null'],
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          type: fc.constantFrom('bytes', 'long', 'int', 'string', 'fixed'),
          logicalType: fc.constantFrom(
            'decimal',
            'uuid',
            'date',
            'time-millis',
            'time-micros',
            'timestamp-millis',
            'timestamp-micros',
            'duration',
            'bogus',
          ),
          precision: fc.integer({ min: -1, max: 40 }),
          scale: fc.integer({ min: -1, max: 40 }),
          size: fc.integer({ min: -1, max: 20 }),
          name: fc.constantFrom('F', 'Fixed'),
        },
        { requiredKeys: ['type'] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record(
        {
          type: fc.constantFrom('array', 'map', 'enum', 'record', 'fixed'),
          items: tie('type'),
          values: tie('type'),
          symbols: fc.array(fc.constantFrom('A', 'B', 'a b', ''), { maxLength: 3 }),
          name: fc.constantFrom('Inner', 'Row', 'shop.Row'),
          fields: fc.array(
            fc.record({ name: identifier, type: tie('type') }, { requiredKeys: ['name'] }),
            { maxLength: 3 },
          ),
        },
        { requiredKeys: ['type'] },
      ),
    },
    { weight: 1, arbitrary: fc.array(tie('type'), { maxLength: 3 }) },
    { weight: 1, arbitrary: anything },
  ),
})).type;

const field = fc.record(
  {
    name: identifier,
    type: avroType,
    default: anything,
    doc: hostileString,
    aliases: fc.array(identifier, { maxLength: 2 }),
  },
  { requiredKeys: ['name', 'type'] },
);

/** An Avro record for a model: mostly records with column-like fields, sometimes anything. */
export const modelSchema: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        type: fc.oneof(
          { weight: 8, arbitrary: fc.constant('record') },
          { weight: 1, arbitrary: anything },
        ),
        name: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('Row', 'shop.Row', 'Customer', 'Order') },
          { weight: 1, arbitrary: hostileString },
        ),
        namespace: fc.oneof(fc.constantFrom('shop', 'wail', 'a.b.c', ''), hostileString),
        doc: hostileString,
        fields: fc.oneof(
          { weight: 8, arbitrary: fc.array(field, { maxLength: 6 }) },
          { weight: 1, arbitrary: anything },
        ),
      },
      { requiredKeys: ['type', 'name', 'fields'] },
    ),
  },
  { weight: 1, arbitrary: anything },
);

const columnType = fc.constantFrom<unknown>(
  'long',
  'int',
  'string',
  'boolean',
  'double',
  'float',
  'bytes',
  ['null', 'string'],
  ['null', 'long'],
  { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 },
  { type: 'string', logicalType: 'uuid' },
  { type: 'int', logicalType: 'date' },
  { type: 'long', logicalType: 'timestamp-micros' },
);

/**
 * A record that fits both test routes (keys `id` and `customer_id, order_id`)
 * before `mutated` breaks it: key columns non-null, other columns of any
 * supported type.
 */
const plausibleSchema = fc
  .record({
    name: fc.constantFrom('Row', 'shop.Row', 'Customer'),
    keyTypes: fc.tuple(
      fc.constantFrom('long', 'string', 'int'),
      fc.constantFrom('long', 'string', 'int'),
      fc.constantFrom('long', 'string', 'int'),
    ),
    columns: fc.uniqueArray(
      fc.record({ name: fc.stringMatching(/^c_[a-z0-9_]{0,12}$/), type: columnType }),
      { maxLength: 5, selector: (column) => column.name },
    ),
  })
  .map(({ name, keyTypes, columns }) => ({
    type: 'record',
    name,
    fields: [
      { name: 'id', type: keyTypes[0] },
      { name: 'customer_id', type: keyTypes[1] },
      { name: 'order_id', type: keyTypes[2] },
      ...columns.map((column) =>
        Array.isArray(column.type) ? { ...column, default: null } : column,
      ),
    ],
  }));

const plausibleModel = fc.record(
  {
    schema: fc.oneof(
      mutated(plausibleSchema, ['type', 'name', 'namespace', 'fields', 'doc']),
      plausibleSchema.map((schema) => JSON.stringify(schema)),
    ),
    eventTopic: fc.oneof(
      fc.constantFrom('wail.events.fuzz_a', 'wail.events.fuzz_b', 'wail.fuzz.events'),
      topic,
    ),
  },
  { requiredKeys: ['schema'] },
);

/** A `POST /v1/models/{table}/versions` body: the schema as JSON or as a string, an optional topic. */
export const modelBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: mutated(plausibleModel, ['schema', 'eventTopic', 'extra']) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        schema: fc.oneof(
          modelSchema,
          modelSchema.map((schema) => JSON.stringify(schema)),
        ),
        eventTopic: fc.oneof({ weight: 4, arbitrary: topic }, { weight: 1, arbitrary: anything }),
      },
      { requiredKeys: ['schema'] },
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(hostileString, anything, { maxKeys: 4 }) },
  { weight: 1, arbitrary: anything },
);
