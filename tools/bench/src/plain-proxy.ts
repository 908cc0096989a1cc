import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import {
  CassandraEnv,
  LogEnv,
  MysqlEnv,
  PostgresEnv,
  RedisEnv,
  StoresEnv,
  loadEnv,
  storeSettings,
} from '@wail/config';
import { HybridLogicalClock, keyScalarFromJson } from '@wail/intent';
import type { JsonValue, TableRef } from '@wail/store';
import { openStores } from '@wail/wiring';

/**
 * The benchmark's plain proxy: the producer proxy's HTTP API shape
 * (`POST /v1/tables/:table/mutations`, the same body schema, `{ts}` back)
 * writing the same table through the same store adapter, stamped by the same
 * clock, but with no intent, no route lookup and no telemetry. WAIL's own
 * cost is then read as WAIL ÷ plain at equal connections. Bench-only: it has
 * no auth and serves one table, named by its environment.
 *
 *   WAIL_STORES=mysql BENCH_PLAIN_PORT=… BENCH_PLAIN_NAMESPACE=<database|keyspace|prefix>
 *   BENCH_PLAIN_TABLE=items BENCH_PLAIN_MODEL='<Avro record, for Redis>'
 */
const env = loadEnv(
  Type.Object({
    ...LogEnv,
    ...CassandraEnv,
    ...MysqlEnv,
    ...PostgresEnv,
    ...RedisEnv,
    ...StoresEnv,
    BENCH_PLAIN_PORT: Type.Integer({ minimum: 1, maximum: 65_535 }),
    BENCH_PLAIN_NAMESPACE: Type.String({ minLength: 1 }),
    BENCH_PLAIN_TABLE: Type.String({ minLength: 1 }),
    BENCH_PLAIN_MODEL: Type.Optional(Type.String()),
  }),
  process.env,
);
const settings = storeSettings(env);
const kind = settings.stores[0]!;
const model = env.BENCH_PLAIN_MODEL
  ? (JSON.parse(env.BENCH_PLAIN_MODEL) as Record<string, unknown>)
  : undefined;
const store = openStores(settings, { models: () => Promise.resolve(model) }).get(kind)!;
const target: TableRef = {
  store: kind,
  namespace: env.BENCH_PLAIN_NAMESPACE,
  table: env.BENCH_PLAIN_TABLE,
  keyColumns: ['id'],
};
const clock = new HybridLogicalClock();

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
const body = Type.Object(
  {
    op: Type.Union([Type.Literal('upsert'), Type.Literal('delete')]),
    key: Type.Record(Type.String(), Scalar, { maxProperties: 32 }),
    values: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 1024 })),
  },
  { additionalProperties: false },
);

const app = Fastify({ ajv: { customOptions: { allErrors: false, coerceTypes: false } } });
app.get('/readyz', async () => {
  await store.ping();
  return { status: 'ready' };
});
app.post<{
  Params: { table: string };
  Body: {
    op: 'upsert' | 'delete';
    key: Record<string, string | number | boolean>;
    values?: Record<string, JsonValue>;
  };
}>('/v1/tables/:table/mutations', { schema: { body } }, async (request, reply) => {
  if (request.params.table !== target.table)
    return reply.code(404).send({ error: 'UNKNOWN_TABLE' });
  const ts = clock.now();
  const { op, key, values = {} } = request.body;
  await store.write({
    target,
    op,
    key: Object.entries(key).map(([name, value]) => ({ name, value: keyScalarFromJson(value) })),
    values,
    ts,
  });
  return { ts: Number(ts) };
});

const shutdown = () => {
  void app
    .close()
    .then(() => store.close())
    .finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
void app.listen({ host: '127.0.0.1', port: env.BENCH_PLAIN_PORT });
