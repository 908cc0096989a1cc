import { canonicalKey, encodeIntent, newIntentId, type Intent } from '@wail/intent';
import { MysqlRowStore } from '@wail/store-mysql';
import { stackEnv, waitFor } from '@wail/testing';
import { PipelineEnvironment } from './environment';

/**
 * Refresh intents (intent format version 2, issue 13 item 1: what a backfill
 * appends) on a MariaDB table: "publish the row's current state unless an
 * event at that version or later was already published for the key".
 */
const env = new PipelineEnvironment();
let store: MysqlRowStore;
const target = () => ({
  store: 'mysql' as const,
  namespace: env.name,
  table: 'customers',
  keyColumns: ['id'],
});

beforeAll(async () => {
  await env.start();
  store = new MysqlRowStore({ url: stackEnv().mysqlUrl });
}, 120_000);

afterAll(async () => {
  await store?.close();
  await env.stop();
}, 60_000);

const byId = (id: number) => (key: Record<string, unknown>) => key['id'] === id;
const keyOf = (id: number): Intent['key'] => [{ name: 'id', value: BigInt(id) }];

/** Appends refresh intents for customers `id`, as a backfill scan that read the row at `ts` would. */
async function appendRefreshes(id: number, ...versions: bigint[]): Promise<void> {
  await env.appendIntents(
    versions.map((ts) => ({
      key: Buffer.from(canonicalKey('customers', keyOf(id))),
      value: Buffer.from(
        encodeIntent({
          intentId: newIntentId(),
          table: 'customers',
          op: 'refresh',
          key: keyOf(id),
          ts,
          proxyId: 'backfill',
        }),
      ),
    })),
  );
}

/** Waits until the consumer has taken `count` more intents of customers and finished every one. */
async function settled(consumedBefore: number, count: number): Promise<void> {
  await waitFor(
    async () =>
      (await env.metric('wail_consumer_intents_total', { table: 'customers' })) >=
        consumedBefore + count && (await env.metric('wail_consumer_intents_in_flight', {})) === 0,
    { timeoutMs: 20_000, what: 'the refresh intents to settle' },
  );
  // Anything published would be on its way by now: give the reader time to see it.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

const consumed = () => env.metric('wail_consumer_intents_total', { table: 'customers' });
const unmaterialized = () =>
  env.metric('wail_consumer_unmaterialized_total', { table: 'customers' });

describe('refresh intents on MariaDB', () => {
  it('publish one event with the state of an existing row, at its version', async () => {
    // A row no intent announced (written before WAIL, or its events lost to retention).
    const ts = BigInt(Date.now()) * 1000n;
    await store.write({
      target: target(),
      op: 'upsert',
      key: keyOf(701),
      values: { name: 'Grace', email: 'grace@example.com', qty: 2 },
      ts,
    });
    const before = await consumed();
    await appendRefreshes(701, ts);

    const events = await waitFor(
      () => {
        const list = env.events.forKey('customers', byId(701));
        return list.length > 0 ? list : undefined;
      },
      { timeoutMs: 20_000, what: 'the refreshed row’s event' },
    );
    await settled(before, 1);
    expect(env.events.errors).toEqual([]);
    expect(env.events.forKey('customers', byId(701))).toHaveLength(1);
    expect(events[0]!.value).toMatchObject({
      op: 'UPSERT',
      version: Number(ts),
      after: expect.objectContaining({
        id: 701,
        name: 'Grace',
        email: 'grace@example.com',
        qty: 2,
      }),
      source: { table: 'customers', intentTs: Number(ts) },
    });
  }, 60_000);

  it('publish nothing, and record nothing unmaterialized, for a row that is not there', async () => {
    const [before, unmaterializedBefore] = [await consumed(), await unmaterialized()];
    await appendRefreshes(702, BigInt(Date.now()) * 1000n - 5_000_000n);

    await settled(before, 1);
    expect(env.events.forKey('customers', byId(702))).toEqual([]);
    expect(await unmaterialized()).toBe(unmaterializedBefore);
  }, 60_000);

  it('publish nothing when an event at that version or later was already published, even if the row moved on', async () => {
    const written = await env.mutate('customers', {
      op: 'upsert',
      key: { id: 703 },
      values: { name: 'Linus' },
    });
    expect(written.status).toBe(200);
    const version = BigInt(written.body!['ts'] as number);
    await waitFor(
      () =>
        env.events.forKey('customers', byId(703)).some((e) => e.value.version === Number(version)),
      { timeoutMs: 20_000, what: 'the upsert’s event' },
    );
    // The row moves on without an intent: a refresh of an older version still publishes nothing.
    await store.write({
      target: target(),
      op: 'upsert',
      key: keyOf(703),
      values: { name: 'Linus, later' },
      ts: version + 1_000n,
    });
    const before = await consumed();
    await appendRefreshes(703, version, version - 1_000_000n);

    await settled(before, 2);
    expect(env.events.forKey('customers', byId(703)).map((e) => e.value.version)).toEqual([
      Number(version),
    ]);
  }, 60_000);
});
