import {
  canonicalKey,
  encodeIntent,
  intentIdToString,
  newIntentId,
  type Intent,
} from '@wail/intent';
import { waitFor } from '@wail/testing';
import {
  ConformanceEnvironment,
  STORES,
  hasUuid,
  type ConformanceStore,
  type TableKind,
} from './conformance-environment';
import type { DecodedEvent } from './support';

/**
 * One contract, four stores: the same logical tables in Cassandra, MySQL,
 * PostgreSQL and Redis, written through the real proxy, published by the
 * real consumer and read back as decoded Avro events. One environment (one
 * repository, proxy and consumer) serves all of them.
 */
const env = new ConformanceEnvironment();

beforeAll(async () => {
  await env.start();
}, 120_000);

afterAll(async () => {
  await env.stop();
}, 60_000);

type Key = Record<string, unknown>;
const byId = (id: number) => (key: Key) => key['id'] === id;
const sameKey = (expected: Key) => (key: Key) =>
  Object.entries(expected).every(([name, value]) => key[name] === value);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventsFor(
  table: string,
  matches: (key: Key) => boolean,
  until: (events: DecodedEvent[]) => boolean,
): Promise<DecodedEvent[]> {
  return waitFor(
    () => {
      const events = env.events.forKey(table, matches);
      return until(events) ? events : undefined;
    },
    { timeoutMs: 20_000, what: `events of ${table}` },
  );
}

const hasVersion = (ts: unknown) => (events: DecodedEvent[]) =>
  events.some((event) => event.value.version === ts);

function versionsNeverGoBack(events: DecodedEvent[]): void {
  const versions = events.map((event) => event.value.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
}

/** A mutation through the proxy that must be acknowledged; its intent timestamp. */
async function write(table: string, body: Record<string, unknown>): Promise<number> {
  const answer = await env.mutate(table, body);
  expect({ status: answer.status, body: answer.body }).toMatchObject({
    status: 200,
    body: { intentLogged: true },
  });
  return answer.body!['ts'] as number;
}

/**
 * Waits until the consumer has taken in an intent of the table since
 * `consumedBefore` and holds no unfinished intent, then a moment more for
 * the event reader: by then whatever those intents publish is on the topic.
 */
async function settled(table: string, consumedBefore: number): Promise<void> {
  await waitFor(
    async () =>
      (await env.metric('wail_consumer_intents_total', { table })) > consumedBefore &&
      (await env.metric('wail_consumer_intents_in_flight')) === 0,
    { timeoutMs: 20_000, what: `the consumer done with ${table}` },
  );
  await sleep(1000);
}

/** Two's complement big-endian bytes (Avro decimal) → the unscaled integer. */
function unscaled(bytes: Buffer): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0
    ? value - (1n << BigInt(bytes.length * 8))
    : value;
}

const DAY = 86_400_000;
const LEAP_DAY = '2024-02-29';
const LEAP_DAY_EPOCH_DAYS = Date.UTC(2024, 1, 29) / DAY;
const INSTANT_MS = Date.UTC(2024, 4, 1, 12, 34, 56, 123);

describe.each(STORES)('the %s store', (store: ConformanceStore) => {
  const table = (kind: TableKind) => env.table(store, kind);
  const items = table('items');

  it('keeps the last of two upserts of one key: the final event equals the row and its version is the row’s wail_ts', async () => {
    const key = { id: 1 };
    const first = await write(items, {
      op: 'upsert',
      key,
      values: { name: 'first', note: 'one', qty: 1 },
    });
    const second = await write(items, {
      op: 'upsert',
      key,
      values: { name: 'second', note: 'two', qty: 2 },
    });
    expect(second).toBeGreaterThan(first);
    const events = await eventsFor(items, byId(1), hasVersion(second));

    const last = events.at(-1)!;
    expect(last.value).toMatchObject({
      op: 'UPSERT',
      version: second,
      key,
      after: { id: 1, name: 'second', note: 'two', qty: 2 },
      source: { table: items, store },
    });
    const row = await env.row(items, key);
    expect(row.status).toBe(200);
    expect(row.body!.wail_ts).toBe(last.value.version);
    expect(row.body!.row).toEqual(last.value.after);
    versionsNeverGoBack(events);
    expect(env.events.errors).toEqual([]);
  }, 30_000);

  it('never lets a late, older write change the row or publish a version older than the newest', async () => {
    const key = { id: 2 };
    const newer = await write(items, {
      op: 'upsert',
      key,
      values: { name: 'newer', note: 'kept', qty: 2 },
    });
    await eventsFor(items, byId(2), hasVersion(newer));

    // A proxy whose clock lags: its intent is logged, then its write lands, both with an old ts.
    const target = env.target(store, 'items');
    const intentKey = [{ name: 'id', value: 2n }];
    const values = { name: 'older', note: 'late', qty: 1 };
    const late: Intent = {
      intentId: newIntentId(),
      table: items,
      op: 'upsert',
      key: intentKey,
      ts: BigInt(newer) - 200_000n,
      proxyId: 'lagging-proxy',
      columns: Object.keys(values),
    };
    const consumedBefore = await env.metric('wail_consumer_intents_total', { table: items });
    await env.appendIntents([
      { key: Buffer.from(canonicalKey(items, intentKey)), value: Buffer.from(encodeIntent(late)) },
    ]);
    await env.adapters
      .get(store)!
      .write({ target, op: 'upsert', key: intentKey, values, ts: late.ts });
    await settled(items, consumedBefore);

    const row = await env.row(items, key);
    expect(row.body).toMatchObject({ wail_ts: newer });
    expect(row.body!.row).toEqual({ id: 2, name: 'newer', note: 'kept', qty: 2 });
    const events = env.events.forKey(items, byId(2));
    versionsNeverGoBack(events);
    expect(events.at(-1)!.value).toMatchObject({ version: newer, after: { name: 'newer' } });
    expect(events.filter((event) => event.value.version < newer)).toEqual([]);
    expect(
      events.filter((event) => event.value.source.intentId === intentIdToString(late.intentId)),
    ).toEqual([]);
  }, 40_000);

  it('keeps the columns a partial update does not name', async () => {
    const key = { id: 3 };
    await write(items, { op: 'upsert', key, values: { name: 'full', note: 'kept', qty: 1 } });
    const partial = await write(items, { op: 'upsert', key, values: { qty: 5 } });
    const events = await eventsFor(items, byId(3), hasVersion(partial));

    expect(events.find((event) => event.value.version === partial)!.value).toMatchObject({
      op: 'UPSERT',
      after: { id: 3, name: 'full', note: 'kept', qty: 5 },
    });
    const row = await env.row(items, key);
    expect(row.body).toMatchObject({ wail_ts: partial });
    expect(row.body!.row).toEqual({ id: 3, name: 'full', note: 'kept', qty: 5 });
  }, 30_000);

  it('publishes a DELETE (after null) then an UPSERT for a delete and a re-insert, versions never going back', async () => {
    const key = { id: 4 };
    const created = await write(items, {
      op: 'upsert',
      key,
      values: { name: 'before', note: 'old note', qty: 1 },
    });
    await eventsFor(items, byId(4), hasVersion(created));
    const removed = await write(items, { op: 'delete', key });
    await eventsFor(items, byId(4), hasVersion(removed));
    expect((await env.row(items, key)).status).toBe(404);
    const again = await write(items, { op: 'upsert', key, values: { name: 'again' } });
    const events = await eventsFor(items, byId(4), hasVersion(again));

    versionsNeverGoBack(events);
    const deletion = events.findIndex((event) => event.value.version === removed);
    const reinsertion = events.findIndex((event) => event.value.version === again);
    expect(events[deletion]!.value).toMatchObject({ op: 'DELETE', after: null, key });
    // The re-inserted row starts afresh: nothing of the deleted row comes back.
    expect(events[reinsertion]!.value).toMatchObject({
      op: 'UPSERT',
      after: { id: 4, name: 'again', note: null, qty: null },
    });
    expect(deletion).toBeLessThan(reinsertion);
    expect((await env.row(items, key)).body).toMatchObject({
      row: { id: 4, name: 'again', note: null, qty: null },
      wail_ts: again,
    });
  }, 40_000);

  it('round-trips every value type the model supports on the store, and nulls, from the mutation body to the event', async () => {
    const types = table('types');
    const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
    const uuid = '0e9a8f42-3b7c-4d2e-9f10-00000000abcd';
    const values: Record<string, unknown> = {
      // The largest long avsc (the readers' decoder) reads without refusing it for precision.
      c_long: 9_007_199_254_740_990,
      c_int: -2_147_483_648,
      c_string: 'héllo "wörld" \\ ✓ 🚀 \n tab\t',
      c_bool: true,
      c_double: -1234.5678,
      c_decimal: '-12345.678',
      c_bytes: bytes.toString('base64'),
      c_ts:
        store === 'cassandra'
          ? new Date(INSTANT_MS).toISOString()
          : new Date(INSTANT_MS).toISOString().replace('Z', '456Z'),
      c_date: LEAP_DAY,
      ...(hasUuid(store) ? { c_uuid: uuid } : {}),
    };
    const full = await write(types, { op: 'upsert', key: { id: 5 }, values });
    const nulls = await write(types, {
      op: 'upsert',
      key: { id: 6 },
      values: Object.fromEntries(Object.keys(values).map((name) => [name, null])),
    });
    const [event] = (await eventsFor(types, byId(5), hasVersion(full))).slice(-1);
    const after = event!.value.after!;

    expect(after).toMatchObject({
      id: 5,
      c_long: 9_007_199_254_740_990,
      c_int: -2_147_483_648,
      c_string: values['c_string'],
      c_bool: true,
      c_double: -1234.5678,
      c_bytes: bytes,
      c_ts: store === 'cassandra' ? INSTANT_MS : INSTANT_MS * 1000 + 456,
      c_date: LEAP_DAY_EPOCH_DAYS,
      ...(hasUuid(store) ? { c_uuid: uuid } : {}),
    });
    expect(Buffer.isBuffer(after['c_decimal'])).toBe(true);
    expect(unscaled(after['c_decimal'] as Buffer)).toBe(-12_345_678n);

    const [empty] = (await eventsFor(types, byId(6), hasVersion(nulls))).slice(-1);
    expect(empty!.value.after).toEqual({
      id: 6,
      ...Object.fromEntries(Object.keys(values).map((name) => [name, null])),
    });
    expect(env.events.errors).toEqual([]);
  }, 30_000);

  it('names one row by a composite key of text, bigint, date and timestamp, whatever form the integer takes (7 or "7")', async () => {
    const keys = table('keys');
    const base = { k_text: 'k:ü/ 1', k_date: LEAP_DAY, k_ts: new Date(INSTANT_MS).toISOString() };
    const asNumber = await write(keys, {
      op: 'upsert',
      key: { ...base, k_big: 7 },
      values: { v: 'as number' },
    });
    const eventKey = {
      k_text: base.k_text,
      k_big: 7,
      k_date: LEAP_DAY_EPOCH_DAYS,
      k_ts: store === 'cassandra' ? INSTANT_MS : INSTANT_MS * 1000,
    };
    await eventsFor(keys, sameKey(eventKey), hasVersion(asNumber));
    const asString = await write(keys, {
      op: 'upsert',
      key: { ...base, k_big: '7' },
      values: { v: 'as string' },
    });
    const other = await write(keys, {
      op: 'upsert',
      key: { ...base, k_big: 8 },
      values: { v: 'another row' },
    });
    const events = await eventsFor(keys, sameKey(eventKey), hasVersion(asString));

    for (const event of events) {
      expect(event.value.key).toEqual(eventKey);
      expect(event.key).toEqual(eventKey);
    }
    expect(events.at(-1)!.value).toMatchObject({
      op: 'UPSERT',
      version: asString,
      after: { ...eventKey, v: 'as string' },
    });
    for (const form of [7, '7', '007'])
      expect((await env.row(keys, { ...base, k_big: form })).body).toMatchObject({
        row: { v: 'as string' },
        wail_ts: asString,
      });
    const [neighbour] = (
      await eventsFor(keys, sameKey({ ...eventKey, k_big: 8 }), hasVersion(other))
    ).slice(-1);
    expect(neighbour!.value.after).toMatchObject({ v: 'another row' });

    // A delete in a third form removes that one row, and its event names it the same way.
    const removed = await write(keys, { op: 'delete', key: { ...base, k_big: '007' } });
    const afterDelete = await eventsFor(keys, sameKey(eventKey), hasVersion(removed));
    expect(afterDelete.at(-1)!.value).toMatchObject({ op: 'DELETE', key: eventKey, after: null });
    versionsNeverGoBack(afterDelete);
    expect((await env.row(keys, { ...base, k_big: 7 })).status).toBe(404);
    expect((await env.row(keys, { ...base, k_big: 8 })).status).toBe(200);
  }, 40_000);

  /**
   * A write the store itself refuses once its intent is logged. SQL and
   * Redis: a new row without its required `name` (NOT NULL; a model field
   * without default). Cassandra has no NOT NULL: a partition key longer than
   * the 65535 bytes it allows.
   */
  const rejected =
    store === 'cassandra'
      ? {
          table: table('keys'),
          key: {
            k_text: 'x'.repeat(70_000),
            k_big: 1,
            k_date: LEAP_DAY,
            k_ts: new Date(INSTANT_MS).toISOString(),
          },
          values: { v: 'never' },
          matches: (key: Key) => key['k_text'] === 'x'.repeat(70_000),
        }
      : { table: items, key: { id: 7 }, values: { qty: 1 }, matches: byId(7) };

  it('answers 4xx for a write the store rejects after its intent was logged, records it unmaterialized exactly once, and publishes nothing', async () => {
    const answer = await env.mutate(rejected.table, {
      op: 'upsert',
      key: rejected.key,
      values: rejected.values,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.body).toMatchObject({ error: { code: 'DATABASE_REJECTED' } });

    const mine = (record: Record<string, unknown>) =>
      record['table'] === rejected.table && rejected.matches(record['key'] as Key);
    await waitFor(() => env.unmaterialized.some(mine), {
      timeoutMs: 20_000,
      what: `the unmaterialized record of ${rejected.table}`,
    }).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}; dead letters: ${JSON.stringify(env.deadLetters.map((h) => [h['wail.error.code'], h['wail.error.message']]))}`,
      );
    });
    // Longer than the window again: a second record would be a duplicate.
    await sleep(env.visibilityWindowMs + 1000);
    const records = env.unmaterialized.filter(mine);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      op: 'upsert',
      reason: expect.stringContaining('visibility window'),
      observed: { state: 'absent' },
    });
    expect(env.events.forKey(rejected.table, rejected.matches)).toEqual([]);
  }, 40_000);
});
