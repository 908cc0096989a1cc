import { writeFileSync, mkdirSync } from 'node:fs';
import { KafkaClient } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { createLogger, silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type ConsumerService } from '../src/main';
import { EventReader, http } from './support';

/**
 * A table moves to another intent location under load (docs/reshaping.md),
 * while writes keep coming through a proxy:
 * - `items` moves to the second broker (`npm run stack -- up kafka-hot`):
 *   its group on the main cluster forwards what is left on the old topic and
 *   announces the drain; a dedicated group on the hot cluster publishes it (to
 *   the main cluster's event topic) once the old topic has drained;
 * - `parts` moves to another topic of the main cluster, under one
 *   exactly-once group that reads both topics.
 * Every acknowledged write must have its event, each key's events must never
 * go back in version, and the last event of each key is its row.
 */
const name = uniqueName('wail_move');
const hotBrokers = process.env['WAIL_KAFKA_HOT_BROKERS'] ?? '127.0.0.1:9192';
const clusters = `hot=${hotBrokers}`;
const topics = {
  items: { old: `${name}.intents`, moved: `${name}.hot.intents`, events: `${name}.events.items` },
  parts: {
    old: `${name}.parts.intents`,
    moved: `${name}.parts.moved`,
    events: `${name}.events.parts`,
  },
};
const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
let repository: ServiceProcess;
let proxy: ServiceProcess;
const consumers: Record<string, ConsumerService> = {};
let events: EventReader;
let hotEvents: EventReader;
/** The events of `gadgets`, whose model names the hot cluster. */
const gadgetEvents = `${name}.events.gadgets`;
let main: KafkaClient;
let hot: KafkaClient;

const route = (table: 'items' | 'parts') => ({
  store: 'mysql',
  database: name,
  keyColumns: ['id'],
  intentTopic: topics[table].old,
  visibilityWindowMs: 1500,
});

function consumer(id: string, extra: Record<string, string>): Promise<ConsumerService> {
  return compose(
    loadConfig({
      ...process.env,
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_ROUTES_REFRESH_MS: '200',
      WAIL_KAFKA_CLUSTERS: clusters,
      WAIL_CONSUMER_ID: id,
      WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
      WAIL_DLQ_TOPIC: `${name}.dlq`,
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '100',
      WAIL_CONSUMER_COALESCE_MS: '20',
      WAIL_STORES: 'mysql',
      ...extra,
    }),
    process.env['WAIL_TEST_LOGS']
      ? createLogger({ service: `consumer-${id}`, level: 'debug' })
      : silentLogger(),
  );
}

beforeAll(async () => {
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  for (const table of ['items', 'parts', 'gadgets'])
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.${table} (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
    );
  main = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-move-test',
    logger: silentLogger(),
  });
  hot = new KafkaClient({
    brokers: [hotBrokers],
    clientId: 'wail-move-test',
    logger: silentLogger(),
  });
  await main.ensureTopics([
    { topic: topics.items.old, partitions: 3 },
    { topic: topics.items.events },
    { topic: topics.parts.old, partitions: 3 },
    { topic: topics.parts.moved, partitions: 2 },
    { topic: topics.parts.events },
  ]);
  await hot.ensureTopics([{ topic: topics.items.moved, partitions: 2 }, { topic: gadgetEvents }]);
  repository = await startServiceProcess('repository', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    WAIL_KAFKA_CLUSTERS: clusters,
  });
  await putTableRoutes(repository.url, {
    items: route('items'),
    parts: route('parts'),
    gadgets: { ...route('items'), intentTopic: `${name}.gadgets.intents` },
  });
  for (const table of ['items', 'parts', 'gadgets'] as const) {
    const model = await http('POST', `${repository.url}/v1/models/${table}/versions`, {
      ...(table === 'gadgets'
        ? { eventTopic: gadgetEvents, eventCluster: 'hot' }
        : { eventTopic: topics[table].events }),
      schema: {
        type: 'record',
        name: table,
        namespace: 'move',
        fields: [
          { name: 'id', type: 'long' },
          { name: 'n', type: 'int' },
        ],
      },
    });
    expect(model.status).toBe(200);
  }
  proxy = await startServiceProcess('proxy', {
    WAIL_REPOSITORY_URL: repository.url,
    WAIL_ROUTES_REFRESH_MS: '200',
    WAIL_KAFKA_CLUSTERS: clusters,
    WAIL_STORES: 'mysql',
  });
  // A slow old group (a key's first read waits 6 s for more of its intents):
  // what it read before the move is still in place when the new group — which
  // needs a few seconds to join its new topic — gets the first new intents,
  // so the new group must hold them; without the hold it would publish newer
  // versions first.
  consumers['itemsMain'] = await consumer('move-items-main', {
    WAIL_CONSUMER_GROUP: `${name}.items.main`,
    WAIL_CONSUMER_TABLES: 'items',
    WAIL_CONSUMER_COALESCE_MS: '6000',
  });
  consumers['itemsHot'] = await consumer('move-items-hot', {
    WAIL_CONSUMER_GROUP: `${name}.items.hot`,
    WAIL_CONSUMER_CLUSTER: 'hot',
    WAIL_CONSUMER_TABLES: 'items',
  });
  consumers['parts'] = await consumer('move-parts', {
    WAIL_CONSUMER_GROUP: `${name}.parts`,
    WAIL_CONSUMER_TABLES: 'parts',
    WAIL_CONSUMER_DELIVERY: 'exactly-once',
  });
  consumers['gadgets'] = await consumer('move-gadgets', {
    WAIL_CONSUMER_GROUP: `${name}.gadgets`,
    WAIL_CONSUMER_TABLES: 'gadgets',
  });
  events = new EventReader(repository.url);
  await events.start([topics.items.events, topics.parts.events]);
  hotEvents = new EventReader(repository.url, [hotBrokers]);
  await hotEvents.start([gadgetEvents]);
}, 180_000);

afterAll(async () => {
  for (const service of Object.values(consumers)) await service.stop();
  await events?.stop();
  await hotEvents?.stop();
  await proxy?.stop();
  await repository?.stop();
  await main
    ?.deleteTopics([
      topics.items.old,
      topics.items.events,
      topics.parts.old,
      topics.parts.moved,
      topics.parts.events,
      `${name}.gadgets.intents`,
      `${name}.unmaterialized`,
      `${name}.dlq`,
    ])
    .catch(() => undefined);
  await hot?.deleteTopics([topics.items.moved, gadgetEvents]).catch(() => undefined);
  await Promise.allSettled([main?.close(), hot?.close()]);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
  await mysql.close();
}, 60_000);

/** A counter or gauge of a consumer's `/metrics`, summed over its series. */
async function metric(service: ConsumerService, metricName: string): Promise<number> {
  const text = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${metricName}{`) || line.startsWith(`${metricName} `))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

interface Acked {
  id: number;
  ts: number;
  at: number;
}

/**
 * Writes `table` from 8 writers for 3 s, moves its route with `change`, writes
 * 5 s more, then waits for the events and checks the promises. Returns its figures.
 */
async function moveUnderLoad(
  table: 'items' | 'parts',
  change: Record<string, unknown>,
  newGroup: () => ConsumerService,
): Promise<Record<string, unknown>> {
  // The most intents the new location's group held at once, sampled.
  let maxHeld = 0;
  const sampler = setInterval(() => {
    void metric(newGroup(), 'wail_consumer_intents_held').then((held) => {
      maxHeld = Math.max(maxHeld, held);
    });
  }, 50);
  const keys = 40;
  const workers = 8;
  const acked: Acked[] = [];
  const counters = new Map<number, number>();
  let stop = false;
  const started = Date.now();
  const writer = async (worker: number) => {
    while (!stop) {
      const id = 1 + Math.floor(Math.random() * (keys / workers)) * workers + worker;
      const n = (counters.get(id) ?? 0) + 1;
      counters.set(id, n);
      const answer = await http('POST', `${proxy.url}/v1/tables/${table}/mutations`, {
        op: 'upsert',
        key: { id },
        values: { n },
      });
      if (answer.status === 200 && answer.body?.['intentLogged'] === true)
        acked.push({ id, ts: Number(answer.body['ts']), at: Date.now() });
    }
  };
  const load = Promise.all(Array.from({ length: workers }, (_, w) => writer(w)));

  await new Promise((resolve) => setTimeout(resolve, 3000));
  const movedAt = Date.now();
  const moved = await http('PUT', `${repository.url}/v1/tables/${table}`, {
    ...route(table),
    ...change,
  });
  expect(moved.status).toBe(200);
  expect(moved.body?.['drainFrom']).toEqual({
    intentCluster: 'main',
    intentTopic: topics[table].old,
    revision: moved.body?.['revision'],
  });
  await new Promise((resolve) => setTimeout(resolve, 5000));
  stop = true;
  await load;
  const loadEnded = Date.now();

  const mine = () => events.events.filter((e) => e.value.source.table === table);
  const coveredBy = (write: Acked) =>
    mine().some((e) => e.value.key['id'] === write.id && e.value.version >= write.ts);
  await waitFor(async () => acked.every(coveredBy), {
    timeoutMs: 60_000,
    what: `an event of ${table} for every acknowledged write`,
  });
  const coveredAt = Date.now();
  clearInterval(sampler);
  expect(events.errors).toEqual([]);

  const before = acked.filter((write) => write.at < movedAt).length;
  expect(before).toBeGreaterThan(0);
  expect(acked.length - before).toBeGreaterThan(0);
  // Per key, in the order of the event topic (one partition per key), versions never go back.
  const byKey = new Map<number, number[]>();
  for (const event of mine()) {
    const id = Number(event.value.key['id']);
    byKey.set(id, [...(byKey.get(id) ?? []), event.value.version]);
  }
  const backwards = [...byKey].filter(([, versions]) =>
    versions.some((v, i) => i > 0 && v < versions[i - 1]!),
  );
  expect(backwards).toEqual([]);
  // The last event of each key is its row.
  const [rows] = await mysql.pool.query(`SELECT id, n, wail_ts FROM \`${name}\`.${table}`);
  for (const row of rows as { id: number; n: number; wail_ts: number }[]) {
    const last = mine()
      .filter((e) => Number(e.value.key['id']) === Number(row.id))
      .at(-1)!;
    expect({ id: row.id, n: last.value.after?.['n'], version: last.value.version }).toEqual({
      id: row.id,
      n: row.n,
      version: Number(row.wail_ts),
    });
  }

  // The drain check passed: the move ends.
  const ended = await http('PUT', `${repository.url}/v1/tables/${table}`, {
    ...route(table),
    ...change,
    drainFrom: null,
  });
  expect(ended.status).toBe(200);
  expect(ended.body?.['drainFrom']).toBeUndefined();
  return {
    acknowledged: acked.length,
    beforeMove: before,
    afterMove: acked.length - before,
    writesPerSecond: Math.round(acked.length / ((loadEnded - started) / 1000)),
    events: mine().length,
    keys: byKey.size,
    lost: acked.filter((write) => !coveredBy(write)).length,
    keysGoingBackwards: backwards.length,
    secondsFromLoadEndToLastEvent: (coveredAt - loadEnded) / 1000,
    maxHeldByNewLocation: maxHeld,
  };
}

describe('moving a table under load', () => {
  const figures: Record<string, unknown> = {};
  afterAll(() => {
    mkdirSync('reports', { recursive: true });
    writeFileSync('reports/table-move.json', `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`\ntable moves under load: ${JSON.stringify(figures)}\n`);
  });

  it('to another Kafka cluster and its own consumer group: every write published, no key going back', async () => {
    const result = await moveUnderLoad(
      'items',
      {
        intentTopic: topics.items.moved,
        intentCluster: 'hot',
      },
      () => consumers['itemsHot']!,
    );
    // The slow old group drains after the first new intents arrive: they were held.
    expect(result['maxHeldByNewLocation']).toBeGreaterThan(0);
    const intentsOnHot = [...(await hot.endOffsets(topics.items.moved)).values()].reduce(
      (a, b) => a + b,
      0n,
    );
    expect(intentsOnHot).toBeGreaterThan(0n);
    // Writes after the move ended are the new group's alone. (While the old
    // group drains, slowly on a busy machine, it may publish every key's
    // latest state itself, leaving the new group nothing newer.)
    const fresh: Acked[] = [];
    for (const id of [1001, 1002, 1003]) {
      const answer = await http('POST', `${proxy.url}/v1/tables/items/mutations`, {
        op: 'upsert',
        key: { id },
        values: { n: 1 },
      });
      expect(answer.status).toBe(200);
      fresh.push({ id, ts: Number(answer.body?.['ts']), at: Date.now() });
    }
    await waitFor(
      () =>
        fresh.every((write) =>
          events.events.some(
            (e) =>
              e.value.source.table === 'items' &&
              e.value.key['id'] === write.id &&
              e.value.version >= write.ts,
          ),
        ),
      { timeoutMs: 30_000, what: 'events of the writes after the move' },
    );
    const more = {
      intentsOnHotTopic: Number(intentsOnHot),
      forwardedByOldGroup: await metric(
        consumers['itemsMain']!,
        'wail_consumer_intents_forwarded_total',
      ),
      publishedByOldGroup: await metric(consumers['itemsMain']!, 'wail_consumer_events_total'),
      publishedByHotGroup: await metric(consumers['itemsHot']!, 'wail_consumer_events_total'),
      heldByHotGroupNow: await metric(consumers['itemsHot']!, 'wail_consumer_intents_held'),
    };
    expect(more.publishedByOldGroup).toBeGreaterThan(0);
    expect(more.publishedByHotGroup).toBeGreaterThan(0);
    expect(more.heldByHotGroupNow).toBe(0);
    figures['items: main → hot cluster (at-least-once)'] = { ...result, ...more };
  }, 150_000);

  it('to another topic of its cluster, in exactly-once mode: every write published once in order', async () => {
    const result = await moveUnderLoad(
      'parts',
      { intentTopic: topics.parts.moved },
      () => consumers['parts']!,
    );
    const moved = [...(await main.endOffsets(topics.parts.moved)).values()].reduce(
      (a, b) => a + b,
      0n,
    );
    expect(moved).toBeGreaterThan(0n);
    // Exactly-once: no version of a key published twice.
    const seen = new Set<string>();
    const duplicates = events.events
      .filter((e) => e.value.source.table === 'parts')
      .filter((e) => {
        const id = `${String(e.value.key['id'])}@${e.value.version}`;
        if (seen.has(id)) return true;
        seen.add(id);
        return false;
      }).length;
    expect(duplicates).toBe(0);
    figures['parts: topic → topic on main (exactly-once)'] = {
      ...result,
      intentsOnNewTopic: Number(moved),
      duplicates,
      forwarded: await metric(consumers['parts']!, 'wail_consumer_intents_forwarded_total'),
    };
  }, 150_000);

  it('publishes the events of a model naming another cluster to that cluster', async () => {
    for (let id = 1; id <= 5; id++) {
      const answer = await http('POST', `${proxy.url}/v1/tables/gadgets/mutations`, {
        op: 'upsert',
        key: { id },
        values: { n: id },
      });
      expect(answer.status).toBe(200);
    }
    await waitFor(async () => hotEvents.events.length >= 5, {
      timeoutMs: 30_000,
      what: 'five gadgets events on the hot cluster',
    });
    expect(hotEvents.errors).toEqual([]);
    expect(hotEvents.events.map((e) => e.value.after?.['n']).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(events.events.filter((e) => e.value.source.table === 'gadgets')).toEqual([]);
    expect(await main.listTopics()).not.toContain(gadgetEvents);
  }, 60_000);
});
