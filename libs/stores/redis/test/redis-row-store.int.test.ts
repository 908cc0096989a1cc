import { Redis } from 'ioredis';
import { WailError } from '@wail/errors';
import type { KeyColumn } from '@wail/intent';
import type { JsonValue, TableRef } from '@wail/store';
import { deadAddress, stackEnv, uniqueName } from '@wail/testing';
import { RedisRowStore } from '../src';

const env = stackEnv();
const prefix = uniqueName('wail_it_redis');

/** The data models of the suite's tables: input, as the repository would answer them. */
const MODELS: Record<string, Record<string, unknown>> = {
  items: {
    type: 'record',
    name: 'Item',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'name', type: ['null', 'string'], default: null },
      { name: 'qty', type: ['null', 'int'], default: null },
      { name: 'big', type: ['null', 'long'], default: null },
      {
        name: 'price',
        type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }],
        default: null,
      },
      { name: 'ratio', type: ['null', 'double'], default: null },
      { name: 'score', type: ['null', 'float'], default: null },
      { name: 'active', type: ['null', 'boolean'], default: null },
      { name: 'payload', type: ['null', 'bytes'], default: null },
      { name: 'ref', type: ['null', { type: 'string', logicalType: 'uuid' }], default: null },
      { name: 'born', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
      {
        name: 'seen_at',
        type: ['null', { type: 'long', logicalType: 'timestamp-micros' }],
        default: null,
      },
      {
        name: 'seen_ms',
        type: ['null', { type: 'long', logicalType: 'timestamp-millis' }],
        default: null,
      },
    ],
  },
  people: {
    type: 'record',
    name: 'Person',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'age', type: ['null', 'int'], default: null },
      { name: 'tier', type: 'string', default: 'basic' },
    ],
  },
  events: {
    type: 'record',
    name: 'Event',
    fields: [
      { name: 'tenant', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'seq', type: 'int' },
      { name: 'flag', type: 'boolean' },
      { name: 'tag', type: 'bytes' },
      { name: 'label', type: 'string' },
      { name: 'note', type: ['null', 'string'], default: null },
    ],
  },
};

const modelSchema = (table: string) => Promise.resolve(MODELS[table]);
const store = new RedisRowStore({ url: env.redisUrl, modelSchema });
const admin = new Redis(env.redisUrl);

const ref = (table: string, keyColumns: string[]): TableRef => ({
  store: 'redis',
  namespace: `${prefix}:${table}`,
  table,
  keyColumns,
});
const items = ref('items', ['id']);
const people = ref('people', ['id']);
const events = ref('events', ['tenant', 'day', 'at', 'seq', 'flag', 'tag', 'label']);
const key = (id: string | bigint | number): KeyColumn[] => [
  { name: 'id', value: typeof id === 'number' ? BigInt(id) : id },
];
const read = (target: TableRef, id: string | bigint | number) =>
  store.read(target, key(id), 'strong');

async function rejection(promise: Promise<unknown>): Promise<WailError> {
  try {
    await promise;
  } catch (error) {
    return error as WailError;
  }
  throw new Error('expected a rejection');
}

afterAll(async () => {
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
  await Promise.all([store.close(), admin.quit()]);
});

describe('RedisRowStore', () => {
  it('upserts a row stamped with the timestamp and reads every value type back typed', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 1000n,
      values: {
        name: 'Ada',
        qty: 3,
        big: '9007199254740993',
        price: '12.5',
        ratio: 0.25,
        score: 1.5,
        active: true,
        payload: Buffer.from([0, 255, 10]).toString('base64'),
        ref: '0E8C2D1A-7F00-4B5B-9C3E-1A2B3C4D5E6F',
        born: '1815-12-10',
        seen_at: '2024-05-01T14:00:00.123456+02:00',
        seen_ms: '2024-05-01T12:00:00.123456Z',
      },
    });
    expect(await read(items, 'a')).toEqual({
      state: 'present',
      wailTs: 1000n,
      row: {
        id: 'a',
        name: 'Ada',
        qty: 3,
        big: 9007199254740993n,
        price: '12.50',
        ratio: 0.25,
        score: 1.5,
        active: true,
        payload: Buffer.from([0, 255, 10]),
        ref: '0e8c2d1a-7f00-4b5b-9c3e-1a2b3c4d5e6f',
        born: '1815-12-10',
        seen_at: '2024-05-01T12:00:00.123456Z',
        seen_ms: '2024-05-01T12:00:00.123000Z',
      },
    });
  });

  it('keeps the row as a readable hash: one JSON field per column plus wail_ts', async () => {
    const hash = await admin.hgetall(`${prefix}:items:a`);
    expect(hash).toMatchObject({
      id: '"a"',
      name: '"Ada"',
      big: '9007199254740993',
      payload: '"AP8K"',
      wail_ts: '1000',
    });
  });

  it('applies a partial update to the named columns only', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 2000n,
      values: { qty: 4, ratio: null },
    });
    expect(await read(items, 'a')).toMatchObject({
      state: 'present',
      wailTs: 2000n,
      row: { name: 'Ada', qty: 4, ratio: null, big: 9007199254740993n },
    });
  });

  it('ignores an older write and a repeated one (last writer wins)', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 1500n,
      values: { qty: 99, name: 'Old' },
    });
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 2000n,
      values: { qty: 77 },
    });
    expect(await read(items, 'a')).toMatchObject({ wailTs: 2000n, row: { name: 'Ada', qty: 4 } });
  });

  it('deletes with a tombstone that a late, older upsert cannot get past, and re-inserts after it', async () => {
    await store.write({ target: items, op: 'delete', key: key('a'), ts: 3000n, values: {} });
    expect(await read(items, 'a')).toEqual({ state: 'absent', deletedTs: 3000n });
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 2500n,
      values: { name: 'Zombie' },
    });
    expect(await read(items, 'a')).toEqual({ state: 'absent', deletedTs: 3000n });
    await store.write({
      target: items,
      op: 'upsert',
      key: key('a'),
      ts: 3500n,
      values: { name: 'Reborn' },
    });
    expect(await read(items, 'a')).toMatchObject({
      state: 'present',
      wailTs: 3500n,
      row: { id: 'a', name: 'Reborn', qty: null, big: null, payload: null },
    });
    expect(await admin.pttl(`${prefix}:items:a`)).toBe(-1);
  });

  it('sets the tombstone TTL, also for a key that had no row', async () => {
    await store.write({ target: items, op: 'delete', key: key('never'), ts: 10n, values: {} });
    const ttl = await admin.pttl(`${prefix}:items:never`);
    expect(ttl).toBeGreaterThan(86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
    expect(await read(items, 'never')).toEqual({ state: 'absent', deletedTs: 10n });
  });

  it('keeps a row that is newer than a late delete', async () => {
    await store.write({
      target: items,
      op: 'upsert',
      key: key('b'),
      ts: 5000n,
      values: { name: 'Bea' },
    });
    await store.write({ target: items, op: 'delete', key: key('b'), ts: 4000n, values: {} });
    expect(await read(items, 'b')).toMatchObject({ state: 'present', wailTs: 5000n });
  });

  it('says absent, with no delete, for a key never written', async () => {
    expect(await read(items, 'nobody')).toEqual({ state: 'absent', deletedTs: undefined });
  });

  it('reads the same row at both consistencies', async () => {
    const fast = await store.read(items, key('b'), 'fast');
    expect(fast).toEqual(await store.read(items, key('b'), 'strong'));
  });

  it('treats 7 and "7" as one key of an integer column', async () => {
    await store.write({
      target: people,
      op: 'upsert',
      key: [{ name: 'id', value: 7n }],
      ts: 100n,
      values: { name: 'Seven' },
    });
    await store.write({
      target: people,
      op: 'upsert',
      key: [{ name: 'id', value: '7' }],
      ts: 200n,
      values: { age: 70 },
    });
    expect(await read(people, '7')).toEqual({
      state: 'present',
      wailTs: 200n,
      row: { id: 7n, name: 'Seven', age: 70, tier: 'basic' },
    });
    expect(await admin.keys(`${prefix}:people:*`)).toEqual([`${prefix}:people:7`]);
    // The default is written when the row is created, as SQL's DEFAULT would be.
    expect(await admin.hget(`${prefix}:people:7`, 'tier')).toBe('"basic"');
  });

  it('refuses to create a row without a required column, with DATABASE_REJECTED, and writes nothing', async () => {
    const error = await rejection(
      store.write({ target: people, op: 'upsert', key: key(8), ts: 100n, values: { age: 1 } }),
    );
    expect(error).toBeInstanceOf(WailError);
    expect(error.code).toBe('DATABASE_REJECTED');
    expect(error.details).toMatchObject({ rule: 'required', columns: ['name'] });
    expect(await admin.exists(`${prefix}:people:8`)).toBe(0);
  });

  it('refuses to recreate a deleted row without a required column, but a partial update of a live row passes', async () => {
    await store.write({ target: people, op: 'delete', key: key(7), ts: 300n, values: {} });
    const error = await rejection(
      store.write({ target: people, op: 'upsert', key: key(7), ts: 400n, values: { age: 2 } }),
    );
    expect(error.code).toBe('DATABASE_REJECTED');
    expect(await read(people, 7)).toEqual({ state: 'absent', deletedTs: 300n });
    // Superseded by the newer delete: nothing to refuse.
    await store.write({ target: people, op: 'upsert', key: key(7), ts: 250n, values: { age: 2 } });
    await store.write({
      target: people,
      op: 'upsert',
      key: key(7),
      ts: 500n,
      values: { name: 'Back' },
    });
    await store.write({ target: people, op: 'upsert', key: key(7), ts: 600n, values: { age: 3 } });
    expect(await read(people, 7)).toEqual({
      state: 'present',
      wailTs: 600n,
      row: { id: 7n, name: 'Back', age: 3, tier: 'basic' },
    });
  });

  it('refuses unknown columns, wail_ts and values of the wrong type with BAD_REQUEST before writing', async () => {
    const wrong: Record<string, JsonValue>[] = [
      { nope: 1 },
      { wail_ts: 1 },
      { qty: 'three' },
      { qty: 2 ** 31 },
      { price: '1.234' },
      { ref: 'not-a-uuid' },
      { born: '2024-02-30' },
      { payload: 'not base64!' },
    ];
    for (const values of wrong) {
      const error = await rejection(
        store.prepareWrite({ target: items, op: 'upsert', key: key('c'), ts: 1n, values }),
      );
      expect(error.code).toBe('BAD_REQUEST');
    }
    const error = await rejection(
      store.prepareWrite({
        target: people,
        op: 'upsert',
        key: key(9),
        ts: 1n,
        values: { name: null },
      }),
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(await admin.exists(`${prefix}:items:c`)).toBe(0);
  });

  it('gives a composite key of every key type one row, whatever form the client sent', async () => {
    const sent: KeyColumn[] = [
      { name: 'tenant', value: '0E8C2D1A-7F00-4B5B-9C3E-1A2B3C4D5E6F' },
      { name: 'day', value: '2024-05-01' },
      { name: 'at', value: '2024-05-01T14:00:00+02:00' },
      { name: 'seq', value: 7n },
      { name: 'flag', value: true },
      { name: 'tag', value: Buffer.from([1, 2]).toString('base64') },
      { name: 'label', value: 'a:b%c' },
    ];
    await store.write({
      target: events,
      op: 'upsert',
      key: sent,
      ts: 10n,
      values: { note: 'one' },
    });
    const other: KeyColumn[] = sent.map((column) =>
      column.name === 'tenant'
        ? { ...column, value: '0e8c2d1a-7f00-4b5b-9c3e-1a2b3c4d5e6f' }
        : column.name === 'at'
          ? { ...column, value: '2024-05-01T12:00:00.000000Z' }
          : column.name === 'seq'
            ? { ...column, value: '7' }
            : column,
    );
    await store.write({
      target: events,
      op: 'upsert',
      key: other,
      ts: 20n,
      values: { note: 'two' },
    });
    expect(await admin.keys(`${prefix}:events:*`)).toEqual([
      `${prefix}:events:0e8c2d1a-7f00-4b5b-9c3e-1a2b3c4d5e6f:2024-05-01:2024-05-01T12%3A00%3A00.000000Z:7:true:0102:a%3Ab%25c`,
    ]);
    expect(await store.read(events, sent, 'strong')).toEqual({
      state: 'present',
      wailTs: 20n,
      row: {
        tenant: '0e8c2d1a-7f00-4b5b-9c3e-1a2b3c4d5e6f',
        day: '2024-05-01',
        at: '2024-05-01T12:00:00.000000Z',
        seq: 7,
        flag: true,
        tag: Buffer.from([1, 2]),
        label: 'a:b%c',
        note: 'two',
      },
    });
    // "a:b" + "c" and "a" + "b:c" would meet in a naive encoding.
    const colon = sent.map((column) =>
      column.name === 'label' ? { ...column, value: 'a%3Ab%25c' } : column,
    );
    expect(await store.read(events, colon, 'strong')).toEqual({
      state: 'absent',
      deletedTs: undefined,
    });
  });

  it('lets the highest of many concurrent writes to one key win', async () => {
    const stamps = Array.from({ length: 200 }, () => BigInt(1 + Math.floor(Math.random() * 1e12)));
    const highest = stamps.reduce((a, b) => (a > b ? a : b));
    await Promise.all(
      stamps.map((ts, index) =>
        store.write({
          target: items,
          op: index % 5 === 0 ? 'delete' : 'upsert',
          key: key('hot'),
          ts,
          values: index % 5 === 0 ? {} : { name: `w${ts}`, qty: index },
        }),
      ),
    );
    const winner = stamps.indexOf(highest);
    const state = await read(items, 'hot');
    if (winner % 5 === 0) expect(state).toEqual({ state: 'absent', deletedTs: highest });
    else
      expect(state).toMatchObject({
        state: 'present',
        wailTs: highest,
        row: { name: `w${highest}` },
      });
  });

  it('pipelines many writes with one result each, in order', async () => {
    const prepared = await Promise.all([
      store.prepareWrite({
        target: items,
        op: 'upsert',
        key: key('p1'),
        ts: 10n,
        values: { name: 'one' },
      }),
      store.prepareWrite({
        target: people,
        op: 'upsert',
        key: key(20),
        ts: 10n,
        values: { age: 1 },
      }),
      store.prepareWrite({
        target: items,
        op: 'upsert',
        key: key('p1'),
        ts: 20n,
        values: { qty: 2 },
      }),
      store.prepareWrite({ target: items, op: 'delete', key: key('p2'), ts: 30n, values: {} }),
      store.prepareWrite({
        target: items,
        op: 'upsert',
        key: key('p1'),
        ts: 15n,
        values: { qty: 1 },
      }),
    ]);
    const results = await store.executeMany(prepared);
    expect(results.map((result) => (result as WailError | undefined)?.code)).toEqual([
      undefined,
      'DATABASE_REJECTED',
      undefined,
      undefined,
      undefined,
    ]);
    expect(await read(items, 'p1')).toMatchObject({ wailTs: 20n, row: { name: 'one', qty: 2 } });
    expect(await read(items, 'p2')).toEqual({ state: 'absent', deletedTs: 30n });
  });

  it('fails describe like a missing table when the table has no data model', async () => {
    const error = await rejection(store.describe(ref('ghost', ['id'])));
    expect(error.code).toBe('DATABASE_REJECTED');
  });

  it('refuses a route whose key columns are not the model’s fields', async () => {
    const error = await rejection(store.describe(ref('people', ['nope'])));
    expect(error.code).toBe('ROUTE_MISMATCH');
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('RedisRowStore data models', () => {
  it('asks for a table’s model once per TTL, sees a new column after it and reads a row without it as its default', async () => {
    let model: Record<string, unknown> = {
      type: 'record',
      name: 'Note',
      fields: [{ name: 'id', type: 'string' }],
    };
    let asked = 0;
    const evolving = new RedisRowStore({
      url: env.redisUrl,
      modelTtlMs: 200,
      modelSchema: () => {
        asked++;
        return Promise.resolve(model);
      },
    });
    const notes = ref('notes', ['id']);
    try {
      await evolving.describe(notes);
      await evolving.describe(notes);
      expect(asked).toBe(1);
      model = {
        ...model,
        fields: [
          { name: 'id', type: 'string' },
          { name: 'body', type: 'string' },
        ],
      };
      await new Promise((resolve) => setTimeout(resolve, 250));
      await evolving.write({
        target: notes,
        op: 'upsert',
        key: key('n'),
        ts: 1n,
        values: { body: 'hi' },
      });
      expect(asked).toBe(2);
      expect(await evolving.read(notes, key('n'), 'strong')).toMatchObject({
        row: { id: 'n', body: 'hi' },
      });
      model = {
        ...model,
        fields: [...(model['fields'] as unknown[]), { name: 'stars', type: 'long', default: 5 }],
      };
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await evolving.read(notes, key('n'), 'strong')).toEqual({
        state: 'present',
        wailTs: 1n,
        row: { id: 'n', body: 'hi', stars: 5n },
      });
    } finally {
      await evolving.close();
    }
  });

  it('refuses a tombstone TTL that a visibility window could outlast', () => {
    expect(() => new RedisRowStore({ modelSchema, tombstoneTtlMs: 60_000 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('RedisRowStore against an unreachable server', () => {
  it('fails writes, pipelined writes, reads and ping quickly with DATABASE_UNAVAILABLE, without the address', async () => {
    const { host, port } = await deadAddress();
    const dead = new RedisRowStore({
      url: `redis://:secret-password@${host}:${port}`,
      timeoutMs: 1000,
      modelSchema,
    });
    try {
      const started = Date.now();
      for (const attempt of [
        dead.write({ target: items, op: 'upsert', key: key('x'), ts: 1n, values: { name: 'x' } }),
        dead.read(items, key('x'), 'strong'),
        dead.ping(),
      ]) {
        const error = await rejection(attempt);
        expect(error).toBeInstanceOf(WailError);
        expect(error.code).toBe('DATABASE_UNAVAILABLE');
        expect(error.retriable).toBe(true);
        expect(error.message).not.toMatch(/secret-password|127\.0\.0\.1|\d{4,5}/);
      }
      const batch = await Promise.all(
        ['x', 'y'].map((id) =>
          dead.prepareWrite({ target: items, op: 'delete', key: key(id), ts: 1n, values: {} }),
        ),
      );
      expect(
        (await dead.executeMany(batch)).map((error) => (error as WailError | undefined)?.code),
      ).toEqual(['DATABASE_UNAVAILABLE', 'DATABASE_UNAVAILABLE']);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await dead.close();
    }
  });
});
