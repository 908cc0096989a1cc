import { DEAD_LETTER_HEADERS } from '@wail/contracts';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { decodeIntent } from '@wail/intent';
import { PartitionConsumer, type IncomingRecord, type KafkaClient } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { redisPrefix, type Cluster, type ChaosTable } from './cluster';
import type { FinalRow, ObservedEvent, ObservedIntent } from './verify';

/**
 * Reads topics from the beginning, as a downstream consumer would (a fresh
 * group, read_committed), until every partition is read to its end offset or
 * nothing new arrived for a while (aborted transactions and their markers
 * take offsets no record is delivered for).
 */
export async function readTopics(
  kafka: KafkaClient,
  topics: readonly string[],
): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = [];
  const ends = new Map<string, bigint>();
  for (const topic of topics)
    for (const [partition, high] of await kafka.endOffsets(topic))
      ends.set(`${topic}:${partition}`, high);
  const reached = new Map<string, bigint>();
  let lastRecordAt = Date.now();
  const consumer = new PartitionConsumer(kafka, {
    groupId: `wail-chaos-observer-${process.pid}-${Date.now()}`,
    logger: silentLogger(),
    partitionsConsumedConcurrently: 1,
    resolveTransactionsByMarkers: true,
    onBatch: async (batch) => {
      for (const record of batch.records) {
        records.push(record);
        reached.set(`${record.topic}:${record.partition}`, record.offset + 1n);
      }
      if (batch.records.length > 0) lastRecordAt = Date.now();
    },
  });
  await consumer.setTopics([...topics]);
  const started = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const complete = [...ends].every(
      ([id, high]) => high === 0n || (reached.get(id) ?? 0n) >= high,
    );
    const idle = Date.now() - Math.max(lastRecordAt, started) > 5000;
    if (complete || idle) break;
  }
  await consumer.stop();
  return records;
}

const keyOf = (value: unknown) => String(value);

export async function readIntents(cluster: Cluster): Promise<ObservedIntent[]> {
  const records = await readTopics(cluster.kafka, [cluster.intentTopic]);
  return records.map((record) => {
    const intent = decodeIntent(record.value!);
    return { table: intent.table, key: keyOf(intent.key[0]!.value), ts: intent.ts };
  });
}

export async function readUnmaterialized(cluster: Cluster): Promise<ObservedIntent[]> {
  const records = await readTopics(cluster.kafka, [cluster.unmaterializedTopic]);
  return records.map((record) => {
    const body = JSON.parse(record.value!.toString('utf8')) as {
      table: string;
      key: { id: unknown };
      ts: string;
    };
    return { table: body.table, key: keyOf(body.key.id), ts: BigInt(body.ts) };
  });
}

/** The dead letters, each with the table of its intent (undefined when the bytes are no intent). */
export async function readDeadLetters(
  cluster: Cluster,
): Promise<{ table: string | undefined; code: string | undefined }[]> {
  const records = await readTopics(cluster.kafka, [cluster.deadLetterTopic]);
  return records.map((record) => {
    let table: string | undefined;
    try {
      table = record.value ? decodeIntent(record.value).table : undefined;
    } catch {
      table = undefined;
    }
    return { table, code: record.headers[DEAD_LETTER_HEADERS.code]?.toString() };
  });
}

/** Every event of both tables, decoded through the repository with the standard kafkajs registry client. */
export async function readEvents(cluster: Cluster): Promise<ObservedEvent[]> {
  const registry = new SchemaRegistry({ host: cluster.repository.url });
  const tables = Object.fromEntries(
    Object.entries(cluster.eventTopics).map(([table, topic]) => [topic, table as ChaosTable]),
  );
  const records = await readTopics(cluster.kafka, Object.values(cluster.eventTopics));
  const events: ObservedEvent[] = [];
  for (const record of records) {
    if (record.value === null) continue; // a tombstone after a delete
    const value = (await registry.decode(record.value)) as {
      op: 'UPSERT' | 'DELETE';
      key: { id: unknown };
      after: Record<string, unknown> | null;
      version: number | bigint;
    };
    events.push({
      table: tables[record.topic]!,
      key: keyOf(value.key.id),
      partition: record.partition,
      offset: record.offset,
      op: value.op,
      version: BigInt(value.version),
      after: value.after,
      intentId: record.headers['wail.intent-id']?.toString(),
    });
  }
  return events;
}

/** The final rows of both tables, read directly from the databases (not through WAIL). */
export async function readFinalRows(cluster: Cluster, name: string): Promise<FinalRow[]> {
  const rows: FinalRow[] = [];
  const [mysqlRows] = (await cluster.mysql.pool.query(
    `SELECT id, a, b, req, CAST(wail_ts AS CHAR) AS wail_ts FROM \`${name}\`.items`,
  )) as unknown as [
    { id: number; a: number | null; b: string | null; req: string | null; wail_ts: string }[],
  ];
  for (const row of mysqlRows)
    rows.push({
      table: 'm_items',
      key: String(row.id),
      version: BigInt(row.wail_ts),
      row: { a: row.a, b: row.b, req: row.req },
    });
  let pageState: string | undefined;
  do {
    const page = await cluster.cassandra.client.execute(
      `SELECT id, a, b, req, wail_ts FROM ${name}.items`,
      [],
      { prepare: true, fetchSize: 1000, ...(pageState ? { pageState } : {}) },
    );
    for (const row of page.rows) {
      rows.push({
        table: 'c_items',
        key: String(row['id']),
        version: BigInt(String(row['wail_ts'])),
        row: { a: row['a'] ?? null, b: row['b'] ?? null, req: row['req'] ?? null },
      });
    }
    pageState = page.pageState ?? undefined;
  } while (pageState);
  const postgresRows = await cluster.postgres.query(
    name,
    'SELECT id, a, b, req, wail_ts FROM items',
  );
  for (const row of postgresRows.rows as Record<string, string | null>[])
    rows.push({
      table: 'p_items',
      key: row['id']!,
      version: BigInt(row['wail_ts']!),
      row: { a: row['a'] === null ? null : Number(row['a']), b: row['b'], req: row['req'] },
    });
  rows.push(...(await readRedisRows(cluster, name)));
  return rows;
}

/**
 * The r_items rows, read from Redis as the adapter lays them out: a hash at
 * `<prefix>:<id>` with each column's JSON value and `wail_ts`; a deleted row
 * is a tombstone (`wail:deleted`), not a row.
 */
async function readRedisRows(cluster: Cluster, name: string): Promise<FinalRow[]> {
  const rows: FinalRow[] = [];
  const prefix = `${redisPrefix(name)}:`;
  for await (const keys of cluster.redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
    for (const key of keys as string[]) {
      const hash = await cluster.redis.hgetall(key);
      if (hash['wail:deleted'] !== undefined || hash['wail_ts'] === undefined) continue;
      const column = (field: string) =>
        hash[field] === undefined ? null : (JSON.parse(hash[field]) as unknown);
      rows.push({
        table: 'r_items',
        key: key.slice(prefix.length),
        version: BigInt(hash['wail_ts']),
        row: { a: column('a'), b: column('b'), req: column('req') },
      });
    }
  }
  return rows;
}
