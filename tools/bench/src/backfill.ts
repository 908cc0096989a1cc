import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Defaults, splitList } from '@wail/config';
import { KafkaClient } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  ITEM_SCHEMA,
  followEvents,
  freePort,
  metric,
  quantile,
  record,
  repoRoot,
  say,
  startService,
  stopService,
} from './harness';

/**
 * The backfill benchmark (issue 13 item 1) on MySQL/MariaDB of the local
 * stack: a table of N rows written before WAIL (no intents), live writes
 * through the proxy at a fixed rate, and `wail backfill` over the table while
 * they run. Reports the backfill's rows/s, the events/s and database reads/s
 * it caused in the consumer, and the live writes' end-to-end p50/p99 (proxy
 * acknowledgement → event on Kafka) without and with the backfill running.
 *
 * Usage: npx tsx tools/bench/src/backfill.ts [--rows 1000000] [--live 200]
 *        [--rate N] [--chunk 1000] [--baseline 20]
 */
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    live: { type: 'string', default: '200' },
    rate: { type: 'string' },
    chunk: { type: 'string', default: '1000' },
    baseline: { type: 'string', default: '20' },
  },
});
const rows = Number(values.rows);
const liveRate = Number(values.live);
const baselineSeconds = Number(values.baseline);
const brokers = splitList(process.env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers);
const mysqlUrl = process.env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl;
const json = { 'content-type': 'application/json' };

async function main(): Promise<void> {
  const name = `wail_bench_bf_${Date.now().toString(36)}`;
  const intentTopic = `${name}.intents`;
  const eventTopic = `${name}.events.items`;
  const mysql = new MysqlConnection({ url: mysqlUrl });
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, name VARCHAR(100) NULL, qty INT NULL, wail_ts BIGINT NOT NULL)`,
  );
  say(`loading ${rows} rows (no intents: data from before WAIL)…`);
  const loadStarted = performance.now();
  const base = BigInt(Date.now() - 3_600_000) * 1000n;
  for (let first = 1; first <= rows; first += 5000) {
    const ids = Array.from({ length: Math.min(5000, rows - first + 1) }, (_, i) => first + i);
    await mysql.pool.query(
      `INSERT INTO \`${name}\`.items (id, name, qty, wail_ts) VALUES ${ids
        .map((id) => `(${id}, 'row ${id}', ${id % 1000}, ${base + BigInt(id)})`)
        .join(',')}`,
    );
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  say(`loaded in ${loadSeconds.toFixed(1)} s`);

  const kafka = new KafkaClient({ brokers, clientId: 'wail-bench-bf', logger: silentLogger() });
  await kafka.ensureTopics([
    { topic: intentTopic, partitions: 3 },
    { topic: eventTopic, partitions: 3 },
  ]);
  const repoPort = await freePort();
  const repositoryUrl = `http://127.0.0.1:${repoPort}`;
  const repository = await startService(
    'apps/schema-repository/src/main.ts',
    { WAIL_REPOSITORY_PORT: String(repoPort), WAIL_REPOSITORY_DATABASE: `${name}_repo` },
    `${repositoryUrl}/readyz`,
  );
  await fetch(`${repositoryUrl}/v1/tables/items`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify({ store: 'mysql', database: name, keyColumns: ['id'], intentTopic }),
  });
  const model = await fetch(`${repositoryUrl}/v1/models/items/versions`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ eventTopic, schema: ITEM_SCHEMA }),
  });
  if (!model.ok) throw new Error(`model: ${await model.text()}`);
  const common = { WAIL_REPOSITORY_URL: repositoryUrl, WAIL_STORES: 'mysql' };
  const proxyPort = await freePort();
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const proxy = await startService(
    'apps/producer-proxy/src/main.ts',
    { ...common, WAIL_PROXY_PORT: String(proxyPort) },
    `${proxyUrl}/readyz`,
  );
  const consumerPort = await freePort();
  const consumerUrl = `http://127.0.0.1:${consumerPort}`;
  const consumer = await startService(
    'apps/smart-consumer/src/main.ts',
    {
      ...common,
      WAIL_CONSUMER_PORT: String(consumerPort),
      WAIL_CONSUMER_GROUP: `${name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
      WAIL_DLQ_TOPIC: `${name}.dlq`,
    },
    `${consumerUrl}/readyz`,
  );

  /** Live writes at `liveRate` for `seconds` (or until `until` resolves), timed to their events. */
  const live = async (seconds: number, until?: Promise<unknown>) => {
    const follower = await followEvents(brokers, eventTopic, repositoryUrl);
    const acks = new Map<number, number>();
    let instance: { stop(): void } | undefined;
    const writes = new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(
        {
          url: `${proxyUrl}/v1/tables/items/mutations`,
          connections: 8,
          overallRate: liveRate,
          duration: seconds,
          requests: [
            {
              method: 'POST',
              headers: json,
              setupRequest: (request) => ({
                ...request,
                body: JSON.stringify({
                  op: 'upsert',
                  key: { id: 1 + Math.floor(Math.random() * rows) },
                  values: { name: 'live', qty: 1 },
                }),
              }),
              onResponse: (status: number, body: string) => {
                if (status === 200)
                  acks.set((JSON.parse(body) as { ts: number }).ts, performance.now());
              },
            },
          ],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
    void until?.then(() => instance?.stop());
    const result = await writes;
    const figures = { requestsPerSecond: Math.round(result.requests.average) };
    // Their events may trail behind a backlog: wait while they keep arriving. A
    // write whose key was written again before its read has no event of its
    // own (the newer version answers both): it stays unmatched.
    let matched = -1;
    for (;;) {
      const now = [...acks.keys()].filter((ts) => follower.arrivals.has(ts)).length;
      if (now === acks.size || now === matched) break;
      matched = now;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
    await follower.stop();
    const latencies = [...acks]
      .map(([ts, at]) => (follower.arrivals.get(ts) ?? NaN) - at)
      .filter((latency) => !Number.isNaN(latency))
      .sort((a, b) => a - b);
    return {
      writesPerSecond: figures.requestsPerSecond,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      matched: latencies.length,
      sent: acks.size,
    };
  };

  say(`live writes alone at ${liveRate}/s for ${baselineSeconds} s…`);
  const alone = await live(baselineSeconds);
  say(`  p50 ${alone.p50.toFixed(1)} ms, p99 ${alone.p99.toFixed(1)} ms`);

  const eventsBefore = await metric(consumerUrl, 'wail_consumer_events_total');
  const readsBefore = await metric(consumerUrl, 'wail_consumer_reads_total');
  say(`backfill of ${rows} rows with live writes at ${liveRate}/s…`);
  const started = performance.now();
  const args = ['backfill', 'items', '--chunk', values.chunk!];
  if (values.rate) args.push('--rate', values.rate);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'tools', 'cli', 'src', 'main.ts'), ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...common },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const backfilled = new Promise<number>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now()) : reject(new Error(`backfill exited with ${code}`)),
    ),
  );
  const during = live(
    3600,
    backfilled.then(() => undefined),
  );
  const finishedAt = await backfilled;
  const scanSeconds = (finishedAt - started) / 1000;
  // The consumer is done once its group committed every intent appended.
  for (;;) {
    const ends = await kafka.endOffsets(intentTopic);
    const committed =
      (await kafka.committedOffsets(`${name}.consumer`, [intentTopic])).get(intentTopic) ??
      new Map<number, bigint>();
    if ([...ends].every(([partition, end]) => (committed.get(partition) ?? -1n) >= end)) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const events = await metric(consumerUrl, 'wail_consumer_events_total');
  const drainedSeconds = (performance.now() - started) / 1000;
  const reads = (await metric(consumerUrl, 'wail_consumer_reads_total')) - readsBefore;
  const published = events - eventsBefore;
  const withBackfill = await during;
  say(
    `  ${Math.round(rows / scanSeconds)} rows/s scanned and appended; ${Math.round(published / drainedSeconds)} events/s`,
  );

  record(
    `Backfill, MySQL, ${rows.toLocaleString('en-US')} rows`,
    `npx tsx tools/bench/src/backfill.ts --rows ${rows} --live ${liveRate}${values.rate ? ` --rate ${values.rate}` : ''} --chunk ${values.chunk}`,
    [
      ['rows loaded straight into MariaDB (no intents)', `${rows} in ${loadSeconds.toFixed(1)} s`],
      [
        'backfill: scan + refresh intents appended',
        `${Math.round(rows / scanSeconds)} rows/s (${scanSeconds.toFixed(1)} s)`,
      ],
      [
        'consumer: events published until drained',
        `${published} events in ${drainedSeconds.toFixed(1)} s = ${Math.round(published / drainedSeconds)} events/s`,
      ],
      [
        'consumer: database reads',
        `${reads} = ${Math.round(reads / drainedSeconds)} reads/s, ${(reads / published).toFixed(2)} per event`,
      ],
      [
        `live writes at ${liveRate}/s, alone: end-to-end p50 / p99`,
        `${alone.p50.toFixed(1)} / ${alone.p99.toFixed(1)} ms (${alone.matched} of ${alone.sent})`,
      ],
      [
        `live writes at ${liveRate}/s during the backfill: end-to-end p50 / p99`,
        `${withBackfill.p50.toFixed(1)} / ${withBackfill.p99.toFixed(1)} ms (${withBackfill.matched} of ${withBackfill.sent})`,
      ],
    ],
    [
      values.rate
        ? `Backfill throttled to ${values.rate} refresh intents/s.`
        : 'Backfill unthrottled: it competes with live writes for the consumer; --rate bounds that.',
      'Everything on one 2-core machine: MariaDB, Kafka, Cassandra (idle), the four services, the CLI and the load generator.',
    ],
  );

  await stopService(consumer);
  await stopService(proxy);
  await stopService(repository);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
  await kafka
    .deleteTopics([intentTopic, eventTopic, `${name}.unmaterialized`, `${name}.dlq`])
    .catch(() => undefined);
  await kafka.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
