import { decodeIntent, intentIdToString } from '@wail/intent';
import { KafkaClient } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';
import { stack } from '../src/cluster';
import { readTopics } from '../src/observe';

/**
 * The proxy while the real Kafka of the local stack is stopped and started
 * again (not a dead address): bounded 503s, no hung request, independent
 * tables re-appending their backlog, and clients that hang up mid-request.
 * It stops Kafka, so `npm test` runs it with the chaos suites, after the rest.
 */
const external = Boolean(process.env['WAIL_KAFKA_BROKERS']);
(external ? describe.skip : describe)('proxy under a real Kafka restart', () => {
  const name = uniqueName('wail_pfault');
  const intentTopic = `${name}.intents`;
  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl, connectionLimit: 2 });
  const kafka = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-proxy-faults',
    logger: silentLogger(),
  });
  let repository: ServiceProcess;
  let proxy: ServiceProcess;
  const intentTimeoutMs = 1000;

  const mutate = async (table: string, id: number, signal?: AbortSignal) => {
    const response = await fetch(`${proxy.url}/v1/tables/${table}/mutations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'upsert', key: { id }, values: { note: `n${id}` } }),
      ...(signal ? { signal } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const rows = async (table: string) => {
    const [result] = (await mysql.pool.query(
      `SELECT id, CAST(wail_ts AS CHAR) AS ts FROM \`${name}\`.\`${table}\``,
    )) as unknown as [{ id: number; ts: string }[]];
    return result;
  };
  const backlog = async () => {
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    return Number(/^wail_proxy_backlog_intents(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
  };

  beforeAll(async () => {
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    for (const table of ['tx', 'ind', 'hangup'])
      await mysql.pool.query(
        `CREATE TABLE \`${name}\`.\`${table}\` (id BIGINT PRIMARY KEY, note VARCHAR(40), wail_ts BIGINT NOT NULL)`,
      );
    await kafka.ensureTopics([{ topic: intentTopic }]);
    repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    });
    const route = { store: 'mysql', database: name, keyColumns: ['id'], intentTopic };
    await putTableRoutes(repository.url, {
      tx: { ...route, failureMode: 'transactional' },
      ind: { ...route, failureMode: 'independent' },
      hangup: { ...route, failureMode: 'transactional' },
    });
    proxy = await startServiceProcess('proxy', {
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_PROXY_INTENT_TIMEOUT_MS: String(intentTimeoutMs),
    });
    // Warm: routes and table metadata are cached before Kafka goes away.
    expect((await mutate('tx', 0)).status).toBe(200);
    expect((await mutate('ind', 0)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await stack('up', 'kafka');
    await proxy?.stop();
    await repository?.stop();
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
    await kafka.deleteTopics([intentTopic]).catch(() => undefined);
    await Promise.allSettled([mysql.close(), kafka.close()]);
  }, 180_000);

  it('answers 503 within a bounded time while Kafka is stopped, re-appends the independent backlog when it is back', async () => {
    await stack('down', 'kafka');

    // Transactional: 40 concurrent writes, each a quick 503, none written.
    const timings = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const started = Date.now();
        const answer = await mutate('tx', 100 + i, AbortSignal.timeout(15_000));
        return { ...answer, ms: Date.now() - started };
      }),
    );
    for (const answer of timings) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: { code: 'INTENT_LOG_UNAVAILABLE' } });
    }
    const slowest = Math.max(...timings.map((t) => t.ms));
    expect(slowest).toBeLessThan(intentTimeoutMs + 4000);
    expect((await rows('tx')).map((r) => Number(r.id))).toEqual([0]);
    expect((await fetch(`${proxy.url}/readyz`)).status).toBe(503);

    // Independent: the write goes ahead and says its intent is not logged yet.
    const unlogged: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const answer = await mutate('ind', i);
      expect(answer).toMatchObject({ status: 200, body: { intentLogged: false } });
      unlogged.push(String(answer.body['intentId']));
    }
    expect((await rows('ind')).length).toBe(21);
    expect(await backlog()).toBe(20);

    await stack('up', 'kafka');
    await waitFor(async () => (await backlog()) === 0, {
      timeoutMs: 60_000,
      what: 'the backlog to be re-appended',
    });
    const logged = new Set(
      (await readTopics(kafka, [intentTopic])).map((record) =>
        intentIdToString(decodeIntent(record.value!).intentId),
      ),
    );
    for (const intentId of unlogged) expect(logged.has(intentId)).toBe(true);
    await waitFor(async () => (await fetch(`${proxy.url}/readyz`)).ok, {
      timeoutMs: 30_000,
      what: 'the proxy to be ready again',
    });
  }, 240_000);

  it('never leaves a database write without an intent when clients hang up mid-request', async () => {
    await stack('up', 'kafka'); // already up, unless the test before failed halfway
    const hangups = Array.from({ length: 60 }, async (_, i) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), i % 15);
      await mutate('hangup', 1000 + i, controller.signal).catch(() => undefined);
    });
    await Promise.all(hangups);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // writes the proxy kept going finish
    const intents = new Set(
      (await readTopics(kafka, [intentTopic])).map((record) => {
        const intent = decodeIntent(record.value!);
        return `${intent.table}/${String(intent.key[0]!.value)}@${intent.ts}`;
      }),
    );
    const written = await rows('hangup');
    expect(written.length).toBeGreaterThan(0);
    for (const row of written) expect(intents.has(`hangup/${row.id}@${row.ts}`)).toBe(true);
  }, 120_000);
});
