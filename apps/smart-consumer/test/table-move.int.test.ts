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
 * A table moves to another Kafka cluster under load (docs/reshaping.md): the
 * proxy logs `items` to the main cluster, then — its route changed to
 * `intentCluster: "hot"` while writes keep coming — to the second broker
 * (`npm run stack -- up kafka-hot`). The main group keeps every table and
 * forwards what is left of `items` on the old topic; a dedicated group on the
 * hot cluster publishes `items` (to the main cluster's event topic) once the
 * old topic has drained. Every acknowledged write must have its event, each
 * key's events must never go back in version, and the last event of each key
 * is its row.
 */
const name = uniqueName('wail_move');
const hotBrokers = process.env['WAIL_KAFKA_HOT_BROKERS'] ?? '127.0.0.1:9192';
const clusters = `hot=${hotBrokers}`;
const oldTopic = `${name}.intents`;
const hotTopic = `${name}.hot.intents`;
const eventTopic = `${name}.events.items`;
const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
let repository: ServiceProcess;
let proxy: ServiceProcess;
let mainConsumer: ConsumerService | undefined;
let hotConsumer: ConsumerService | undefined;
let events: EventReader;
let main: KafkaClient;
let hot: KafkaClient;

const route = {
  store: 'mysql',
  database: name,
  keyColumns: ['id'],
  intentTopic: oldTopic,
  visibilityWindowMs: 1500,
};

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
      ...extra,
    }),
    process.env['WAIL_TEST_LOGS']
      ? createLogger({ service: `consumer-${id}`, level: 'debug' })
      : silentLogger(),
  );
}

beforeAll(async () => {
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
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
  await main.ensureTopics([{ topic: oldTopic, partitions: 3 }, { topic: eventTopic }]);
  await hot.ensureTopics([{ topic: hotTopic, partitions: 2 }]);
  repository = await startServiceProcess('repository', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    WAIL_KAFKA_CLUSTERS: clusters,
  });
  await putTableRoutes(repository.url, { items: route });
  const model = await http('POST', `${repository.url}/v1/models/items/versions`, {
    eventTopic,
    schema: {
      type: 'record',
      name: 'Item',
      namespace: 'move',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'n', type: 'int' },
      ],
    },
  });
  expect(model.status).toBe(200);
  proxy = await startServiceProcess('proxy', {
    WAIL_REPOSITORY_URL: repository.url,
    WAIL_ROUTES_REFRESH_MS: '200',
    WAIL_KAFKA_CLUSTERS: clusters,
    WAIL_STORES: 'mysql',
  });
  mainConsumer = await consumer('move-main', {
    WAIL_CONSUMER_GROUP: `${name}.main`,
    WAIL_STORES: 'mysql',
  });
  hotConsumer = await consumer('move-hot', {
    WAIL_CONSUMER_GROUP: `${name}.hot`,
    WAIL_CONSUMER_CLUSTER: 'hot',
    WAIL_CONSUMER_TABLES: 'items',
    WAIL_STORES: 'mysql',
  });
  events = new EventReader(repository.url);
  await events.start([eventTopic]);
}, 180_000);

afterAll(async () => {
  await hotConsumer?.stop();
  await mainConsumer?.stop();
  await events?.stop();
  await proxy?.stop();
  await repository?.stop();
  await main
    ?.deleteTopics([oldTopic, eventTopic, `${name}.unmaterialized`, `${name}.dlq`])
    .catch(() => undefined);
  await hot?.deleteTopics([hotTopic]).catch(() => undefined);
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
  n: number;
  ts: number;
  at: number;
}

describe('moving a table to another Kafka cluster under load', () => {
  it('publishes every acknowledged write, never going back per key, across the move', async () => {
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
        const answer = await http('POST', `${proxy.url}/v1/tables/items/mutations`, {
          op: 'upsert',
          key: { id },
          values: { n },
        });
        if (answer.status === 200 && answer.body?.['intentLogged'] === true)
          acked.push({ id, n, ts: Number(answer.body['ts']), at: Date.now() });
      }
    };
    const load = Promise.all(Array.from({ length: workers }, (_, w) => writer(w)));

    await new Promise((resolve) => setTimeout(resolve, 3000));
    const movedAt = Date.now();
    const moved = await http('PUT', `${repository.url}/v1/tables/items`, {
      ...route,
      intentTopic: hotTopic,
      intentCluster: 'hot',
    });
    expect(moved.status).toBe(200);
    expect(moved.body?.['drainFrom']).toEqual({
      intentCluster: 'main',
      intentTopic: oldTopic,
      revision: moved.body?.['revision'],
    });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    stop = true;
    await load;
    const loadSeconds = (Date.now() - started) / 1000;

    // Every acknowledged write is covered by an event of its key at its version or later.
    const last = new Map<number, Acked>();
    for (const write of acked)
      if ((last.get(write.id)?.ts ?? -1) < write.ts) last.set(write.id, write);
    const covered = () =>
      [...last.values()].every((write) =>
        events.events.some((e) => e.value.key['id'] === write.id && e.value.version >= write.ts),
      );
    await waitFor(async () => covered(), {
      timeoutMs: 60_000,
      what: 'an event for every key at its last acknowledged write',
    });
    const drainedAt = Date.now();
    expect(events.errors).toEqual([]);

    const before = acked.filter((write) => write.at < movedAt).length;
    const after = acked.length - before;
    const intentsOnHot = [...(await hot.endOffsets(hotTopic)).values()].reduce((a, b) => a + b, 0n);
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
    expect(intentsOnHot).toBeGreaterThan(0n);

    // Every acknowledged write: some event of its key has its version or a later one.
    const lost = acked.filter(
      (write) =>
        !events.events.some((e) => e.value.key['id'] === write.id && e.value.version >= write.ts),
    );
    expect(lost).toEqual([]);
    // Per key, in the order of the event topic (one partition per key), versions never go back.
    const byKey = new Map<number, number[]>();
    for (const event of events.events) {
      const id = Number(event.value.key['id']);
      byKey.set(id, [...(byKey.get(id) ?? []), event.value.version]);
    }
    const backwards = [...byKey].filter(([, versions]) =>
      versions.some((v, i) => i > 0 && v < versions[i - 1]!),
    );
    expect(backwards).toEqual([]);
    // The last event of each key is its row.
    const [rows] = await mysql.pool.query(`SELECT id, n, wail_ts FROM \`${name}\`.items`);
    for (const row of rows as { id: number; n: number; wail_ts: number }[]) {
      const mine = events.events.filter((e) => Number(e.value.key['id']) === Number(row.id));
      const final = mine[mine.length - 1]!;
      expect({ id: row.id, n: final.value.after?.['n'], version: final.value.version }).toEqual({
        id: row.id,
        n: row.n,
        version: Number(row.wail_ts),
      });
    }

    const figures = {
      acknowledged: acked.length,
      beforeMove: before,
      afterMove: after,
      writesPerSecond: Math.round(acked.length / loadSeconds),
      events: events.events.length,
      intentsOnHotTopic: Number(intentsOnHot),
      forwardedByMainGroup: await metric(mainConsumer!, 'wail_consumer_intents_forwarded_total'),
      publishedByMainGroup: await metric(mainConsumer!, 'wail_consumer_events_total'),
      publishedByHotGroup: await metric(hotConsumer!, 'wail_consumer_events_total'),
      heldByHotGroupNow: await metric(hotConsumer!, 'wail_consumer_intents_held'),
      secondsFromLoadEndToCovered: (drainedAt - (movedAt + 5000)) / 1000,
      lost: lost.length,
      keysGoingBackwards: backwards.length,
    };
    expect(figures.publishedByHotGroup).toBeGreaterThan(0);
    expect(figures.heldByHotGroupNow).toBe(0);
    mkdirSync('reports', { recursive: true });
    writeFileSync('reports/table-move.json', `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`table move under load: ${JSON.stringify(figures)}`);

    // The drain check passed: the move ends, and the old location is no longer drained from.
    const ended = await http('PUT', `${repository.url}/v1/tables/items`, {
      ...route,
      intentTopic: hotTopic,
      intentCluster: 'hot',
      drainFrom: null,
    });
    expect(ended.status).toBe(200);
    expect(ended.body?.['drainFrom']).toBeUndefined();
  }, 150_000);
});
