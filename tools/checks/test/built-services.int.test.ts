import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaClient } from '@wail/kafka';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import { stackEnv, startServiceProcess, uniqueName, type ServiceProcess } from '@wail/testing';

const root = join(__dirname, '..', '..', '..');
const apps = ['schema-repository', 'producer-proxy', 'smart-consumer', 'event-gateway'] as const;

/**
 * Each service as shipped: the bundle `nx build` emits, started with plain
 * node (no TypeScript loader), against the local stack. The checks project's
 * test target depends on the four builds, so `nx test checks` builds first.
 */
describe('the built services', () => {
  const name = uniqueName('wail_built');
  const topics = {
    unmaterialized: `${name}.unmaterialized`,
    deadLetter: `${name}.dlq`,
    subscriptions: `${name}.subscriptions`,
  };
  const running: ServiceProcess[] = [];

  async function start(
    service: 'repository' | 'proxy' | 'consumer' | 'gateway',
    env: Record<string, string>,
  ): Promise<ServiceProcess> {
    const started = await startServiceProcess(service, env, { bundle: true });
    running.push(started);
    return started;
  }

  async function readiness(service: ServiceProcess) {
    const answer = await fetch(`${service.url}/readyz`);
    const body = (await answer.json()) as { status: string; checks: Record<string, unknown> };
    return { status: answer.status, body: body.status, checks: Object.keys(body.checks).sort() };
  }

  afterAll(async () => {
    for (const service of running.reverse()) await service.stop();
    const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``);
    await mysql.close();
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-built-teardown',
      logger: silentLogger(),
    });
    await kafka.deleteTopics(Object.values(topics)).catch(() => undefined);
    await kafka.close();
  }, 60_000);

  it.each(apps)('has a bundle for %s', (app) => {
    expect(existsSync(join(root, 'apps', app, 'dist', 'main.js'))).toBe(true);
  });

  it('starts each bundle and answers /readyz 200, then stops cleanly on SIGTERM', async () => {
    const repository = await start('repository', { WAIL_REPOSITORY_DATABASE: `${name}_repo` });
    const proxy = await start('proxy', { WAIL_REPOSITORY_URL: repository.url });
    const consumer = await start('consumer', {
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_CONSUMER_GROUP: `${name}.consumer`,
      WAIL_UNMATERIALIZED_TOPIC: topics.unmaterialized,
      WAIL_DLQ_TOPIC: topics.deadLetter,
    });

    const gateway = await start('gateway', {
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC: topics.subscriptions,
    });

    expect(await readiness(repository)).toEqual({ status: 200, body: 'ready', checks: ['mysql'] });
    expect(await readiness(gateway)).toEqual({
      status: 200,
      body: 'ready',
      checks: ['kafka', 'repository'],
    });
    for (const service of [proxy, consumer])
      expect(await readiness(service)).toEqual({
        status: 200,
        body: 'ready',
        checks: ['cassandra', 'kafka', 'mysql', 'postgres', 'redis'],
      });

    for (const service of [gateway, consumer, proxy, repository]) {
      expect(await service.stop()).toBe(0);
      running.splice(running.indexOf(service), 1);
    }
  }, 180_000);
});
