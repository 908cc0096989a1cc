import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Defaults, splitList } from '@wail/config';
import { KafkaClient, PartitionConsumer } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import { eventDecoder, freePort, record, say, startService, stopService } from './harness';

/**
 * Recovery time is latency too (issue 14, item 5), on the local stack with a
 * MySQL table and a steady load (4 writers over 300 keys):
 *
 * 1. restart → first event: the only consumer is SIGKILLed and started again
 *    at once; from its start to the first event of a write acknowledged after
 *    the kill; once per delivery mode;
 * 2. crash → takeover: two consumers in the group, one SIGKILLed; from the
 *    kill until every write acknowledged in the second after it has its event
 *    (the dead member's partitions wait for the group to notice);
 * 3. route → first event: a new table's route and model applied while all of
 *    it runs; from the route's PUT to its first event (the write retried while
 *    the proxy does not know the table yet); once on the intent topic the
 *    consumers already read, once on a new intent topic (the consumer's
 *    subscription changes: it rejoins its group).
 *
 * Usage: [WAIL_CONSUMER_SESSION_TIMEOUT_MS=10000] npx tsx tools/bench/src/recovery.ts [--no-results]
 */
const { values } = parseArgs({ options: { 'no-results': { type: 'boolean', default: false } } });
const brokers = splitList(process.env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers);
const mysqlUrl = process.env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl;
const KEYS = 300;
const sessionTimeoutMs = Number(process.env['WAIL_CONSUMER_SESSION_TIMEOUT_MS'] ?? 10_000);
const WRITERS = 4;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const json = { 'content-type': 'application/json' };

interface Arrival {
  table: string;
  id: number;
  version: number;
  at: number;
}

async function main(): Promise<void> {
  const name = `wail_bench_rec_${Date.now().toString(36)}`;
  const intentTopic = `${name}.intents`;
  const freshIntentTopic = `${name}.intents.fresh`;
  const topicOf = (table: string) => `${name}.events.${table}`;
  const mysql = new MysqlConnection({ url: mysqlUrl, connectionLimit: 2 });
  const kafka = new KafkaClient({ brokers, clientId: 'wail-bench-rec', logger: silentLogger() });
  const children = new Set<ChildProcess>();
  const rows: [string, string][] = [];
  let follower: PartitionConsumer | undefined;
  try {
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    for (const table of ['items', 'late', 'fresh'])
      await mysql.pool.query(
        `CREATE TABLE \`${name}\`.${table} (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
      );
    await kafka.ensureTopics([
      { topic: intentTopic, partitions: 6 },
      { topic: topicOf('items'), partitions: 3 },
      { topic: topicOf('late'), partitions: 3 },
      { topic: topicOf('fresh'), partitions: 3 },
      { topic: freshIntentTopic, partitions: 6 },
    ]);
    const start = async (entry: string, env: Record<string, string>, portVariable: string) => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = await startService(
        entry,
        { ...env, [portVariable]: String(port) },
        `${url}/readyz`,
      );
      children.add(child);
      return { url, child };
    };
    const repository = await start(
      'apps/schema-repository/src/main.ts',
      { WAIL_REPOSITORY_DATABASE: `${name}_repo` },
      'WAIL_REPOSITORY_PORT',
    );
    const apply = async (table: string, topic = intentTopic) => {
      const route = await fetch(`${repository.url}/v1/tables/${table}`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({
          store: 'mysql',
          database: name,
          keyColumns: ['id'],
          intentTopic: topic,
        }),
      });
      if (!route.ok) throw new Error(`route: ${await route.text()}`);
      const model = await fetch(`${repository.url}/v1/models/${table}/versions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          eventTopic: topicOf(table),
          schema: {
            type: 'record',
            name: table,
            namespace: 'bench',
            fields: [
              { name: 'id', type: 'long' },
              { name: 'n', type: 'int' },
            ],
          },
        }),
      });
      if (!model.ok) throw new Error(`model: ${await model.text()}`);
    };
    await apply('items');
    const common = { WAIL_REPOSITORY_URL: repository.url, WAIL_STORES: 'mysql' };
    const proxy = await start('apps/producer-proxy/src/main.ts', common, 'WAIL_PROXY_PORT');
    const consumerEnv = (group: string, delivery: string) => ({
      ...common,
      WAIL_CONSUMER_GROUP: group,
      WAIL_CONSUMER_DELIVERY: delivery,
      WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
      WAIL_DLQ_TOPIC: `${name}.dlq`,
    });
    const startConsumer = (group: string, delivery: string) =>
      start('apps/smart-consumer/src/main.ts', consumerEnv(group, delivery), 'WAIL_CONSUMER_PORT');
    const kill = async (child: ChildProcess) => {
      children.delete(child);
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGKILL');
      });
    };

    // Every event, decoded, with its arrival time.
    const arrivals: Arrival[] = [];
    const decode = eventDecoder<{
      version: number;
      key: { id: number };
      source: { table: string };
    }>(repository.url);
    follower = new PartitionConsumer(kafka, {
      groupId: `${name}.bench`,
      logger: silentLogger(),
      fromBeginning: true,
      onBatch: async (batch) => {
        const at = performance.now();
        for (const item of batch.records) {
          const event = await decode(item.value!);
          arrivals.push({
            table: event.source.table,
            id: Number(event.key.id),
            version: Number(event.version),
            at,
          });
        }
      },
    });
    await follower.setTopics([topicOf('items'), topicOf('late'), topicOf('fresh')]);

    // The steady load; acknowledged writes with their version and time.
    const acked: { table: string; id: number; version: number; at: number }[] = [];
    let loading = true;
    let n = 0;
    const write = async (table: string, id: number) => {
      const answer = await fetch(`${proxy.url}/v1/tables/${table}/mutations`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ op: 'upsert', key: { id }, values: { n: ++n } }),
      });
      const body = (await answer.json()) as { ts?: number };
      if (answer.status !== 200 || body.ts === undefined) return undefined;
      const ack = { table, id, version: body.ts, at: performance.now() };
      acked.push(ack);
      return ack;
    };
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; loading; i++) {
        await write('items', (i * WRITERS + w) % KEYS).catch(() => undefined);
        await sleep(15);
      }
    });
    const covered = (ack: { table: string; id: number; version: number }) =>
      arrivals.find((a) => a.table === ack.table && a.id === ack.id && a.version >= ack.version)
        ?.at;
    /** The first event of a write acknowledged after `since` (performance.now()). */
    const firstAfter = async (since: number, timeoutMs = 120_000) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const times = acked
          .filter((ack) => ack.at > since)
          .map(covered)
          .filter((at): at is number => at !== undefined);
        if (times.length > 0) return Math.min(...times);
        if (performance.now() > deadline) return undefined;
        await sleep(20);
      }
    };
    const seconds = (ms: number | undefined) =>
      ms === undefined ? 'no event within 120 s' : `${(ms / 1000).toFixed(2)} s`;

    for (const delivery of ['at-least-once', 'exactly-once']) {
      const group = `${name}.${delivery}`;
      let consumer = await startConsumer(group, delivery);
      await sleep(8000);
      const killedAt = performance.now();
      await kill(consumer.child);
      const restartedAt = performance.now();
      consumer = await startConsumer(group, delivery);
      const readyAt = performance.now();
      const first = await firstAfter(killedAt);
      rows.push([
        `${delivery}: SIGKILL → restarted at once → first event of a write after the kill`,
        `${seconds(first === undefined ? undefined : first - restartedAt)} from the restart (${seconds(readyAt - restartedAt)} to /readyz)`,
      ]);
      say(
        `${delivery}: restart → first event ${seconds(first === undefined ? undefined : first - restartedAt)}`,
      );
      await kill(consumer.child);
    }

    // Takeover: two members, one killed.
    const group = `${name}.takeover`;
    const a = await startConsumer(group, 'at-least-once');
    const b = await startConsumer(group, 'at-least-once');
    await sleep(12_000);
    const killedAt = performance.now();
    await kill(a.child);
    await sleep(1000);
    const window = acked.filter((ack) => ack.at > killedAt && ack.at <= killedAt + 1000);
    const deadline = performance.now() + 120_000;
    while (window.some((ack) => covered(ack) === undefined) && performance.now() < deadline)
      await sleep(50);
    const last = Math.max(...window.map((ack) => covered(ack) ?? Infinity));
    rows.push([
      `crash → takeover (2 members, one SIGKILLed; session timeout ${sessionTimeoutMs / 1000} s): every write of the second after the kill has its event`,
      `${seconds(Number.isFinite(last) ? last - killedAt : undefined)} after the kill (${window.length} writes)`,
    ]);
    say(`takeover ${seconds(last - killedAt)}`);

    // A new table while everything runs: on the intent topic already read, then on a new one.
    for (const [table, topic, what] of [
      ['late', intentTopic, 'on the intent topic already consumed'],
      [
        'fresh',
        freshIntentTopic,
        'on a new intent topic: the consumer subscribes to it and rejoins its group',
      ],
    ] as const) {
      const routedAt = performance.now();
      await apply(table, topic);
      let ack: Awaited<ReturnType<typeof write>>;
      while (!(ack = await write(table, 1))) await sleep(20);
      while (covered(ack) === undefined && performance.now() < routedAt + 120_000) await sleep(20);
      const event = covered(ack);
      rows.push([
        `route → first event of a new table ${what} (routes refreshed every 1 s by default)`,
        `${seconds(event === undefined ? undefined : event - routedAt)} (the proxy took its first write ${seconds(ack.at - routedAt)} after the PUT)`,
      ]);
      say(
        `route → first event (${table}) ${seconds(event === undefined ? undefined : event - routedAt)}`,
      );
    }
    loading = false;
    await Promise.all(writers);
    await kill(b.child);
    void proxy;
  } finally {
    await follower?.stop().catch(() => undefined);
    for (const child of children) await stopService(child);
    await kafka
      .deleteTopics([
        intentTopic,
        freshIntentTopic,
        topicOf('items'),
        topicOf('late'),
        topicOf('fresh'),
        `${name}.unmaterialized`,
        `${name}.dlq`,
      ])
      .catch(() => undefined);
    await kafka.close().catch(() => undefined);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``).catch(() => undefined);
    await mysql.close();
  }
  say();
  for (const [measure, value] of rows) say(`| ${measure} | ${value} |`);
  if (!values['no-results'])
    record(
      `Recovery time (mysql, WAIL_CONSUMER_SESSION_TIMEOUT_MS=${sessionTimeoutMs})`,
      `WAIL_CONSUMER_SESSION_TIMEOUT_MS=${sessionTimeoutMs} npx tsx tools/bench/src/recovery.ts`,
      rows,
      [
        `A steady load of ${WRITERS} writers over ${KEYS} keys runs throughout; all on one 2-core machine with the local stack.`,
        'Targets (issue 14): restart → first event ≤ 5 s in both modes; takeover ≤ the session timeout + 2 s; a new table’s first event ≤ 3 s after its route.',
      ],
    );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
