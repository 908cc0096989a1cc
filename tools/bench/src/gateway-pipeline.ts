import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Defaults, splitList } from '@wail/config';
import { KafkaClient } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import { ITEM_SCHEMA, freePort, startService, stopService } from './harness';

/** The gateway benchmark's pipeline: one MySQL table, its topics, the four services, a write load. */
const mysqlUrl = process.env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl;
const brokers = splitList(process.env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const json = { 'content-type': 'application/json' };

export interface Service {
  url: string;
  child: ChildProcess;
  /** The event gateway's gRPC listener, `host:port`. */
  grpcAddress?: string;
}

export interface Pipeline {
  name: string;
  eventTopic: string;
  proxy: Service;
  gateway: Service;
  services: Service[];
  kafka: KafkaClient;
}

/** One of our services as its own process on a free port (the gateway's gRPC one too). */
async function service(app: string, port: string, env: Record<string, string>): Promise<Service> {
  const ports = { [port]: String(await freePort()) };
  if (app === 'event-gateway') ports['WAIL_GATEWAY_GRPC_PORT'] = String(await freePort());
  const url = `http://127.0.0.1:${ports[port]}`;
  const child = await startService(
    `apps/${app}/src/main.ts`,
    { ...env, ...ports },
    `${url}/readyz`,
  );
  const grpcPort = ports['WAIL_GATEWAY_GRPC_PORT'];
  return { url, child, ...(grpcPort ? { grpcAddress: `127.0.0.1:${grpcPort}` } : {}) };
}

export async function startPipeline(): Promise<Pipeline> {
  const name = `wail_bench_gw_${Date.now().toString(36)}`;
  const intentTopic = `${name}.intents`;
  const eventTopic = `${name}.events.items`;
  const mysql = new MysqlConnection({ url: mysqlUrl, connectionLimit: 1 });
  await mysql.pool.query(`CREATE DATABASE \`${name}\``);
  await mysql.pool.query(
    `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, name VARCHAR(64) NULL, qty INT NULL, wail_ts BIGINT NOT NULL)`,
  );
  await mysql.close();
  const repository = await service('schema-repository', 'WAIL_REPOSITORY_PORT', {
    WAIL_REPOSITORY_DATABASE: `${name}_repo`,
  });
  const route = await fetch(`${repository.url}/v1/tables/items`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify({ store: 'mysql', database: name, keyColumns: ['id'], intentTopic }),
  });
  if (!route.ok) throw new Error(`route: ${await route.text()}`);
  const model = await fetch(`${repository.url}/v1/models/items/versions`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      eventTopic,
      schema: ITEM_SCHEMA,
    }),
  });
  if (!model.ok) throw new Error(`model: ${await model.text()}`);
  const kafka = new KafkaClient({
    brokers,
    clientId: 'wail-bench-gateway',
    logger: silentLogger(),
  });
  await kafka.ensureTopics([
    { topic: intentTopic, partitions: 3 },
    { topic: eventTopic, partitions: 3 },
  ]);
  const common = { WAIL_REPOSITORY_URL: repository.url, WAIL_STORES: 'mysql' };
  const proxy = await service('producer-proxy', 'WAIL_PROXY_PORT', common);
  const consumer = await service('smart-consumer', 'WAIL_CONSUMER_PORT', {
    ...common,
    WAIL_CONSUMER_GROUP: `${name}.consumer`,
    WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
    WAIL_DLQ_TOPIC: `${name}.dlq`,
  });
  const gateway = await service('event-gateway', 'WAIL_GATEWAY_PORT', {
    ...common,
    WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC: `${name}.subscriptions`,
    WAIL_GATEWAY_GROUP_PREFIX: `${name}.gw`,
  });
  return {
    name,
    eventTopic,
    proxy,
    gateway,
    services: [gateway, consumer, proxy, repository],
    kafka,
  };
}

export async function stopPipeline(pipeline: Pipeline): Promise<void> {
  for (const { child } of pipeline.services) await stopService(child);
  const { name, kafka } = pipeline;
  await kafka
    .deleteTopics([
      `${name}.intents`,
      pipeline.eventTopic,
      `${name}.unmaterialized`,
      `${name}.dlq`,
      `${name}.subscriptions`,
    ])
    .catch(() => undefined);
  await kafka.close();
  const mysql = new MysqlConnection({ url: mysqlUrl, connectionLimit: 1 });
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
  await mysql.close();
}

export async function topicEnd(pipeline: Pipeline): Promise<number> {
  const ends = await pipeline.kafka.endOffsets(pipeline.eventTopic);
  return Number([...ends.values()].reduce((sum, end) => sum + end, 0n));
}

/** Kilobytes of resident memory of a process (VmRSS in /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m);
  return Number(line?.[1] ?? NaN);
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Writes through the proxy in batches of unique keys: `rate` mutations/s when
 * given (paced every 100 ms, at most 16 batches in flight), else as fast as 8
 * concurrent batch loops go. Records each write's acknowledgement time by version.
 */
export async function writeLoad(
  pipeline: Pipeline,
  batchSize: number,
  seconds: number,
  acks: Map<number, number>,
  rate?: number,
): Promise<number> {
  let nextKey = Math.floor(Math.random() * 1e9);
  let written = 0;
  let inFlight = 0;
  const send = async () => {
    inFlight++;
    try {
      const mutations = Array.from({ length: batchSize }, () => ({
        table: 'items',
        op: 'upsert',
        key: { id: nextKey++ },
        values: { name: 'bench', qty: 1 },
      }));
      const response = await fetch(`${pipeline.proxy.url}/v1/mutations`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ mutations }),
      });
      const now = performance.now();
      const { results } = (await response.json()) as { results?: { status: number; ts: number }[] };
      for (const result of results ?? [])
        if (result.status === 200) {
          acks.set(result.ts, now);
          written++;
        }
    } finally {
      inFlight--;
    }
  };
  const until = performance.now() + seconds * 1000;
  if (rate === undefined) {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < until) await send();
      }),
    );
    return written;
  }
  const pending: Promise<void>[] = [];
  let owed = 0;
  for (let tick = performance.now(); tick < until; tick += 100) {
    owed += rate / 10 / batchSize;
    for (; owed >= 1 && inFlight < 16; owed--) pending.push(send());
    await sleep(Math.max(0, tick + 100 - performance.now()));
  }
  await Promise.all(pending);
  return written;
}
