import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaClient } from '@wail/kafka';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  postModel,
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';

/** A span as OTLP/HTTP JSON carries it, with the service that sent it. */
interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: (Omit<ExportedSpan, 'service' | 'attributes'> & { attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}
interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

const SPAN_KIND_SERVER = 2;

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => [key, Object.values(value)[0]] as const),
  );
}

/**
 * An OTLP/HTTP receiver (JSON encoding): every span the services export.
 * A real collector would do the same; this one keeps them for the asserts.
 */
function otlpReceiver(): Promise<{ server: Server; url: string; spans: ExportedSpan[] }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
        for (const resource of body.resourceSpans ?? []) {
          const service = String(attributes(resource.resource?.attributes)['service.name']);
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({ ...span, service, attributes: attributes(span.attributes) });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${address.port}`, spans });
    }),
  );
}

/**
 * Traces over OTLP, end to end and as shipped (the built bundles): a write
 * through the proxy to MySQL and one to Cassandra each make one trace that
 * holds the proxy's HTTP server span, its driver span for the write, the
 * consumer's round with its driver span for the read, and the event's
 * publication; the services' log lines of that work carry the trace id.
 */
describe('tracing over OTLP', () => {
  const name = uniqueName('wail_trace');
  const intentTopic = `${name}.intents`;
  const work = mkdtempSync(join(tmpdir(), 'wail-tracing-'));
  const logs = { proxy: join(work, 'proxy.log'), consumer: join(work, 'consumer.log') };
  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  const cassandra = new CassandraConnection({
    contactPoints: stackEnv().cassandraContactPoints,
    localDataCenter: stackEnv().cassandraDatacenter,
  });
  const kafka = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-trace-test',
    logger: silentLogger(),
  });
  const services: Partial<Record<'repository' | 'proxy' | 'consumer', ServiceProcess>> = {};
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await cassandra.client.execute(
      `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await cassandra.client.execute(
      `CREATE TABLE ${name}.parts (id bigint PRIMARY KEY, n int, wail_ts bigint)`,
    );
    await kafka.ensureTopics([
      { topic: intentTopic },
      { topic: `${name}.events.items` },
      { topic: `${name}.events.parts` },
    ]);
    services.repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    });
    const repositoryUrl = services.repository.url;
    const route = { keyColumns: ['id'], intentTopic, visibilityWindowMs: 2000 };
    await putTableRoutes(repositoryUrl, {
      items: { store: 'mysql', database: name, ...route },
      parts: { store: 'cassandra', keyspace: name, ...route },
    });
    for (const table of ['items', 'parts'])
      await postModel(repositoryUrl, table, {
        eventTopic: `${name}.events.${table}`,
        namespace: 'tracing',
      });
    const tracing = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      WAIL_REPOSITORY_URL: repositoryUrl,
      WAIL_ROUTES_REFRESH_MS: '200',
      WAIL_STORES: 'mysql,cassandra',
      WAIL_LOG_LEVEL: 'debug',
    };
    services.proxy = await startServiceProcess('proxy', tracing, {
      bundle: true,
      logFile: logs.proxy,
    });
    services.consumer = await startServiceProcess(
      'consumer',
      {
        ...tracing,
        WAIL_CONSUMER_GROUP: `${name}.consumer`,
        WAIL_UNMATERIALIZED_TOPIC: `${name}.unmaterialized`,
        WAIL_DLQ_TOPIC: `${name}.dlq`,
      },
      { bundle: true, logFile: logs.consumer },
    );
  }, 180_000);

  afterAll(async () => {
    for (const service of ['consumer', 'proxy', 'repository'] as const)
      await services[service]?.stop();
    await new Promise((resolve) => receiver?.server.close(resolve));
    await kafka
      .deleteTopics([
        intentTopic,
        `${name}.events.items`,
        `${name}.events.parts`,
        `${name}.unmaterialized`,
        `${name}.dlq`,
      ])
      .catch(() => undefined);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
    await cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`).catch(() => undefined);
    await Promise.allSettled([mysql.close(), cassandra.close(), kafka.close()]);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** The log lines of a service that carry `traceId`. */
  function linesOfTrace(log: string, traceId: string): Record<string, unknown>[] {
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['trace_id'] === traceId);
  }

  it.each([
    ['items', 'mysql'],
    ['parts', 'cassandra'],
  ])(
    'follows a write to %s (%s) from the HTTP request to the published event in one trace',
    async (table, system) => {
      const path = `/v1/tables/${table}/mutations`;
      const answer = await fetch(`${services.proxy!.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ op: 'upsert', key: { id: 7 }, values: { n: 1 } }),
      });
      expect(answer.status).toBe(200);

      const server = await waitFor(
        () =>
          receiver.spans.find(
            (span) =>
              span.service === 'wail-producer-proxy' &&
              span.kind === SPAN_KIND_SERVER &&
              String(span.attributes['http.target'] ?? span.attributes['url.path']).startsWith(
                path,
              ),
          ),
        { timeoutMs: 30_000, what: `the proxy's HTTP server span of ${path}` },
      );
      const trace = () => receiver.spans.filter((span) => span.traceId === server.traceId);
      const isQuery = (span: ExportedSpan) =>
        span.attributes['db.system'] === system || span.attributes['db.system.name'] === system;
      const published = await waitFor(
        () =>
          trace().find(
            (span) => span.service === 'wail-smart-consumer' && span.name === 'wail.event.publish',
          ),
        { timeoutMs: 30_000, what: `the consumer's publish span in trace ${server.traceId}` },
      );
      const round = trace().find((span) => span.name === 'wail.key.round');
      const mutation = trace().find((span) => span.name === 'wail.mutation');
      expect({ round: round?.service, mutation: mutation?.service }).toEqual({
        round: 'wail-smart-consumer',
        mutation: 'wail-producer-proxy',
      });
      // Parents: request → mutation → the write's query; round → the read's query and the publication.
      expect(mutation!.parentSpanId).toBe(server.spanId);
      expect(published.parentSpanId).toBe(round!.spanId);
      const queries = trace().filter(isQuery);
      expect(
        queries.some(
          (q) => q.service === 'wail-producer-proxy' && q.parentSpanId === mutation!.spanId,
        ),
      ).toBe(true);
      expect(
        queries.some(
          (q) => q.service === 'wail-smart-consumer' && q.parentSpanId === round!.spanId,
        ),
      ).toBe(true);

      // The log lines of this work name the trace.
      await waitFor(() => linesOfTrace(logs.proxy, server.traceId).length > 0, {
        timeoutMs: 10_000,
        what: 'a proxy log line with the trace id',
      });
      await waitFor(
        () =>
          linesOfTrace(logs.consumer, server.traceId).some((line) => line['msg'] === 'key read'),
        { timeoutMs: 10_000, what: "the consumer's 'key read' line with the trace id" },
      );
    },
    90_000,
  );

  it('exports no span for probes and scrapes', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics'])
      expect((await fetch(`${services.proxy!.url}${url}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const probed = receiver.spans.filter((span) =>
      ['/healthz', '/readyz', '/metrics'].some(
        (path) => span.attributes['http.target'] === path || span.attributes['url.path'] === path,
      ),
    );
    expect(probed).toEqual([]);
  });
});
