import type { ChildProcess } from 'node:child_process';
import { Defaults } from '@wail/config';
import { KafkaClient, PartitionConsumer } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import { eventDecoder, freePort, startService, stopService } from './harness';

/**
 * WAIL beside Debezium (debezium.ts): the repository, a proxy and a consumer
 * as processes, their table in the same second PostgreSQL the Debezium side
 * captures, and a follower of the table's event topic that keeps every event
 * by key: a write's event is the first of its key at its version or later
 * (a write superseded before its read is covered by the newer one's).
 */
export interface WailSide {
  proxyPid: number;
  consumerPid: number;
  /** Upserts `n` for `id` through the proxy; resolves with the write's version (its ts). */
  upsert(id: number, n: number): Promise<number>;
  /** When the first event of `id` at `version` or later arrived (performance.now()), if it did. */
  arrival(id: number, version: number): number | undefined;
  /** Events of `id` so far. */
  eventsOf(id: number): number;
  /** Every event so far. */
  readonly events: number;
  stop(): Promise<void>;
}

export const WAIL_TABLE = 'wail_items';

export async function startWail(options: {
  brokers: string[];
  /** The second PostgreSQL: where the table lives. */
  postgresPort: number;
  database: string;
  /** Creates the table (id, n, wail_ts) in `database`. */
  createTable(sql: string): Promise<void>;
}): Promise<WailSide> {
  const name = `wail_bench_dbz_${Date.now().toString(36)}`;
  const intentTopic = `${name}.intents`;
  const eventTopic = `${name}.events.${WAIL_TABLE}`;
  await options.createTable(
    `CREATE TABLE ${WAIL_TABLE} (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
  );
  const kafka = new KafkaClient({
    brokers: options.brokers,
    clientId: 'wail-bench-dbz',
    logger: silentLogger(),
  });
  await kafka.ensureTopics([
    { topic: intentTopic, partitions: 3 },
    { topic: eventTopic, partitions: 3 },
  ]);
  const children: ChildProcess[] = [];
  const service = async (entry: string, env: Record<string, string>, portVariable: string) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    children.unshift(
      await startService(entry, { ...env, [portVariable]: String(port) }, `${url}/readyz`),
    );
    return { url, pid: children[0]!.pid! };
  };
  const repository = await service(
    'apps/schema-repository/src/main.ts',
    { WAIL_REPOSITORY_DATABASE: `${name}_repo` },
    'WAIL_REPOSITORY_PORT',
  );
  const json = { 'content-type': 'application/json' };
  const route = await fetch(`${repository.url}/v1/tables/${WAIL_TABLE}`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify({
      store: 'postgres',
      database: options.database,
      keyColumns: ['id'],
      intentTopic,
    }),
  });
  if (!route.ok) throw new Error(`route: ${await route.text()}`);
  const model = await fetch(`${repository.url}/v1/models/${WAIL_TABLE}/versions`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      eventTopic,
      schema: {
        type: 'record',
        name: 'WailItem',
        namespace: 'bench',
        fields: [
          { name: 'id', type: 'long' },
          { name: 'n', type: 'int' },
        ],
      },
    }),
  });
  if (!model.ok) throw new Error(`model: ${await model.text()}`);
  const common = {
    WAIL_REPOSITORY_URL: repository.url,
    WAIL_STORES: 'postgres',
    WAIL_POSTGRES_URL: `postgres://postgres@127.0.0.1:${options.postgresPort}/postgres`,
  };
  const proxy = await service('apps/producer-proxy/src/main.ts', common, 'WAIL_PROXY_PORT');
  const consumer = await service(
    'apps/smart-consumer/src/main.ts',
    {
      ...common,
      WAIL_CONSUMER_GROUP: `${name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
      WAIL_DLQ_TOPIC: `${name}.dlq`,
    },
    'WAIL_CONSUMER_PORT',
  );

  const byKey = new Map<number, { version: number; at: number }[]>();
  let events = 0;
  const decode = eventDecoder<{ version: number; key: { id: number } }>(repository.url);
  const follower = new PartitionConsumer(kafka, {
    groupId: `${name}.bench`,
    logger: silentLogger(),
    fromBeginning: true,
    onBatch: async (batch) => {
      const at = performance.now();
      for (const item of batch.records) {
        const event = await decode(item.value!);
        const id = Number(event.key.id);
        const list = byKey.get(id) ?? [];
        list.push({ version: Number(event.version), at });
        byKey.set(id, list);
        events++;
      }
    },
  });
  await follower.setTopics([eventTopic]);

  return {
    proxyPid: proxy.pid,
    consumerPid: consumer.pid,
    async upsert(id, n) {
      const answer = await fetch(`${proxy.url}/v1/tables/${WAIL_TABLE}/mutations`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ op: 'upsert', key: { id }, values: { n } }),
      });
      const body = (await answer.json()) as { ts?: number; intentLogged?: boolean };
      if (answer.status !== 200 || body.intentLogged !== true || body.ts === undefined)
        throw new Error(`proxy answered ${answer.status}`);
      return body.ts;
    },
    arrival(id, version) {
      return byKey.get(id)?.find((event) => event.version >= version)?.at;
    },
    eventsOf: (id) => byKey.get(id)?.length ?? 0,
    get events() {
      return events;
    },
    async stop() {
      await follower.stop().catch(() => undefined);
      for (const child of children) await stopService(child);
      await kafka
        .deleteTopics([intentTopic, eventTopic, `${name}.unmaterialized`, `${name}.dlq`])
        .catch(() => undefined);
      await kafka.close().catch(() => undefined);
      const mysql = new MysqlConnection({
        url: process.env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl,
      });
      await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``).catch(() => undefined);
      await mysql.close();
    },
  };
}
