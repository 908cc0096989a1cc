import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { canonicalKey, encodeIntent, newIntentId } from '@wail/intent';
import { KafkaClient } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import {
  deadAddress,
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@wail/testing';

const root = join(__dirname, '..', '..', '..');
const observability = join(root, 'infra', 'observability');
const prometheusBinary = process.env['WAIL_PROMETHEUS'] ?? 'prometheus';
const promtool = process.env['WAIL_PROMTOOL'] ?? 'promtool';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
}
interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}
interface PrometheusConfig {
  global: Record<string, string>;
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    scrape_timeout?: string;
    static_configs: { targets: string[] }[];
  }[];
}

const JOBS = {
  proxy: 'wail-producer-proxy',
  repository: 'wail-schema-repository',
  consumer: 'wail-smart-consumer',
  gateway: 'wail-event-gateway',
} as const;

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: observability, encoding: 'utf8' });
  if (result.error)
    throw new Error(
      `${command} is not installed (Debian package prometheus; .ci/run installs it): ${result.error.message}`,
    );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
  explain?: () => Promise<unknown>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const seen = explain ? ` (${JSON.stringify(await explain().catch(String))})` : '';
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The sub-queries an alert compares: `a > 0 and b == 0` → [a, b]. */
function comparedQueries(expr: string): string[] {
  return expr
    .split(/\s+(?:and|or|unless)\s+/)
    .map((part) => part.replace(/\s*(?:>|<|==|!=|>=|<=)\s*[\d.e+]+\s*$/, '').trim());
}

/** The metric names a query reads (recorded rules excluded: they are checked as queries). */
function metricNames(query: string): string[] {
  const withoutStrings = query.replace(/"[^"]*"/g, '""');
  return [...withoutStrings.matchAll(/\b(wail_[a-z0-9_]+|process_[a-z0-9_]+|up)\b/g)].map(
    (match) => match[1]!,
  );
}

/**
 * The shipped Prometheus configuration, alert rules and Grafana dashboard
 * against a real Prometheus scraping the four services on the local stack:
 * both files pass promtool, the rules' unit tests pass, every dashboard and
 * alert query returns series, every metric they name is exported, every
 * exported wail_ metric is documented, and two alerts really fire.
 */
describe('infra/observability against a real Prometheus', () => {
  const name = uniqueName('wail_obs');
  const intentTopic = `${name}.intents`;
  const eventTopic = `${name}.events.items`;
  const topics = {
    unmaterialized: `${name}.unmaterialized`,
    deadLetter: `${name}.dlq`,
    subscriptions: `${name}.subscriptions`,
  };
  const work = mkdtempSync(join(tmpdir(), 'wail-prometheus-'));
  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
  const kafka = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-obs-test',
    logger: silentLogger(),
  });
  const services: Partial<Record<keyof typeof JOBS, ServiceProcess>> = {};
  let prometheus: ChildProcess | undefined;
  let prometheusUrl = '';

  const rules = parse(
    readFileSync(join(observability, 'rules', 'wail.rules.yml'), 'utf8'),
  ) as RuleFile;
  const dashboard = JSON.parse(
    readFileSync(join(observability, 'grafana', 'wail-dashboard.json'), 'utf8'),
  ) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const alerts = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
  const panelQueries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
  );

  async function query(
    expr: string,
  ): Promise<{ metric: Record<string, string>; value: unknown }[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: unknown }[] };
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  }

  async function firing(alert: string): Promise<boolean> {
    const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
    const body = (await response.json()) as {
      data: { alerts: { labels: Record<string, string>; state: string }[] };
    };
    return body.data.alerts.some((a) => a.labels['alertname'] === alert && a.state === 'firing');
  }

  beforeAll(async () => {
    await mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await mysql.pool.query(
      `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, n INT NOT NULL, wail_ts BIGINT NOT NULL)`,
    );
    await kafka.ensureTopics([{ topic: intentTopic }, { topic: eventTopic }]);
    services.repository = await startServiceProcess('repository', {
      WAIL_REPOSITORY_DATABASE: `${name}_repo`,
    });
    const repositoryUrl = services.repository.url;
    await putTableRoutes(repositoryUrl, {
      items: {
        store: 'mysql',
        database: name,
        keyColumns: ['id'],
        intentTopic,
        visibilityWindowMs: 1000,
      },
    });
    const model = await fetch(`${repositoryUrl}/v1/models/items/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        eventTopic,
        schema: {
          type: 'record',
          name: 'Item',
          namespace: 'obs',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'n', type: 'int' },
          ],
        },
      }),
    });
    expect(model.status).toBe(200);
    const common = { WAIL_REPOSITORY_URL: repositoryUrl, WAIL_ROUTES_REFRESH_MS: '200' };
    services.proxy = await startServiceProcess('proxy', common);
    services.consumer = await startServiceProcess('consumer', {
      ...common,
      WAIL_CONSUMER_GROUP: `${name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: topics.unmaterialized,
      WAIL_DLQ_TOPIC: topics.deadLetter,
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '200',
      WAIL_CONSUMER_GRACE_MS: '1000',
    });
    services.gateway = await startServiceProcess('gateway', {
      ...common,
      WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC: topics.subscriptions,
      WAIL_GATEWAY_GROUP_PREFIX: `${name}.gw`,
    });

    // The shipped configuration, pointed at these processes, scraping and
    // evaluating every second, with every alert's `for` at 0 s.
    const config = parse(
      readFileSync(join(observability, 'prometheus.yml'), 'utf8'),
    ) as PrometheusConfig;
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = [join(work, 'rules.yml')];
    for (const job of config.scrape_configs) {
      const service = (Object.keys(JOBS) as (keyof typeof JOBS)[]).find(
        (key) => JOBS[key] === job.job_name,
      );
      if (!service) throw new Error(`prometheus.yml scrapes an unknown job ${job.job_name}`);
      job.static_configs = [{ targets: [`127.0.0.1:${services[service]!.port}`] }];
      if (job.scrape_timeout) job.scrape_timeout = '1s';
    }
    expect(config.scrape_configs.map((job) => job.job_name).sort()).toEqual(
      Object.values(JOBS).sort(),
    );
    const testRules: RuleFile = {
      groups: rules.groups.map((group) => ({
        ...group,
        interval: '1s',
        rules: group.rules.map((rule) => (rule.alert ? { ...rule, for: '0s' } : rule)),
      })),
    };
    writeFileSync(join(work, 'rules.yml'), stringify(testRules));
    writeFileSync(join(work, 'prometheus.yml'), stringify(config));
    const { port } = await deadAddress();
    prometheusUrl = `http://127.0.0.1:${port}`;
    run(prometheusBinary, ['--version']);
    prometheus = spawn(
      prometheusBinary,
      [
        `--config.file=${join(work, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(work, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await until('Prometheus to answer', async () =>
      (await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined,
    );

    // Counters are scraped at 0 first: a first sample already at 1 has no rate.
    await until('every service scraped', async () =>
      (await query('up{job=~"wail-.*"} == 1')).length === 4 ? true : undefined,
    );

    // Traffic that makes every series exist: writes (events), a lookup of a
    // schema by id twice (cache miss then hit), undecodable bytes (a dead
    // letter) and an intent whose write never happens (unmaterialized).
    for (let id = 1; id <= 20; id++) {
      const answer = await fetch(`${services.proxy.url}/v1/tables/items/mutations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ op: 'upsert', key: { id }, values: { n: id } }),
      });
      expect(answer.status).toBe(200);
    }
    for (let i = 0; i < 2; i++) await fetch(`${repositoryUrl}/schemas/ids/1`);
    const producer = kafka.createProducer({ idempotent: true });
    await producer.connect();
    const key = [{ name: 'id', value: 999n }];
    await producer.send({
      topic: intentTopic,
      acks: -1,
      messages: [
        { key: Buffer.from('junk'), value: Buffer.from('not an intent') },
        {
          key: Buffer.from(canonicalKey('items', key)),
          value: Buffer.from(
            encodeIntent({
              intentId: newIntentId(),
              table: 'items',
              op: 'upsert',
              key,
              ts: BigInt(Date.now()) * 1000n,
              proxyId: 'obs-test',
            }),
          ),
        },
      ],
    });
    await producer.disconnect();
  }, 240_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    for (const service of ['gateway', 'consumer', 'proxy', 'repository'] as const)
      await services[service]?.stop();
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
    await mysql.close();
    await kafka
      .deleteTopics([intentTopic, eventTopic, ...Object.values(topics)])
      .catch(() => undefined);
    await kafka.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('passes promtool: the configuration, the rules and the rules’ unit tests', () => {
    for (const args of [
      ['check', 'config', 'prometheus.yml'],
      ['check', 'rules', 'rules/wail.rules.yml'],
      ['test', 'rules', 'rules/wail.rules.test.yml'],
    ]) {
      const result = run(promtool, args);
      expect({ args, status: result.status, output: result.output }).toMatchObject({ status: 0 });
    }
  });

  it('scrapes all four services', async () => {
    const up = await until('every job up', async () => {
      const result = await query('up{job=~"wail-.*"} == 1');
      return result.length === 4 ? result : undefined;
    });
    expect(up.map((series) => series.metric['job']).sort()).toEqual(Object.values(JOBS).sort());
  }, 120_000);

  it('returns series for every dashboard query and every query an alert compares', async () => {
    const queries = [
      ...panelQueries.map(({ panel, expr }) => ({ what: `panel "${panel}"`, expr })),
      ...alerts.flatMap((alert) =>
        comparedQueries(alert.expr).map((expr) => ({ what: `alert ${alert.alert}`, expr })),
      ),
    ];
    const empty: string[] = [];
    const deadline = Date.now() + 90_000;
    for (const { what, expr } of queries) {
      for (;;) {
        if ((await query(expr)).length > 0) break;
        if (Date.now() > deadline) {
          empty.push(`${what}: ${expr}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    expect(empty).toEqual([]);
  }, 120_000);

  it('exports every metric a query names, and documents every wail_ metric exported', async () => {
    const response = await fetch(`${prometheusUrl}/api/v1/label/__name__/values`);
    const exported = new Set(((await response.json()) as { data: string[] }).data);
    const named = new Set(
      [
        ...panelQueries.map((q) => q.expr),
        ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ].flatMap(metricNames),
    );
    expect([...named].filter((metric) => !exported.has(metric))).toEqual([]);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const undocumented = [...exported]
      .filter((metric) => metric.startsWith('wail_'))
      .map((metric) => metric.replace(/_(bucket|sum|count)$/, ''))
      .filter((metric) => !readme.includes(`\`${metric}`));
    expect([...new Set(undocumented)]).toEqual([]);
  });

  it('fires WailDeadLettersRising for a dead letter, and WailRepositoryDown once the repository stops', async () => {
    await until('the dead letter to be counted', async () =>
      (await query('sum(wail_consumer_dead_letters_total) > 0')).length > 0 ? true : undefined,
    );
    await until(
      'WailDeadLettersRising to fire',
      async () => ((await firing('WailDeadLettersRising')) ? true : undefined),
      90_000,
      async () => ({
        rate: await query('wail:consumer_dead_letters:rate5m > 0'),
        alerts: await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json(),
        rules: await (await fetch(`${prometheusUrl}/api/v1/rules`)).json(),
      }),
    );
    expect(await firing('WailRepositoryDown')).toBe(false);
    await services.repository!.stop();
    delete services.repository;
    await until('WailRepositoryDown to fire', async () =>
      (await firing('WailRepositoryDown')) ? true : undefined,
    );
  }, 120_000);
});
