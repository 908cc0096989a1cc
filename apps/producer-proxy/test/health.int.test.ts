import { silentLogger } from '@wail/telemetry';
import { stoppedDependencyEnv } from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose } from '../src/main';

const dependencies = ['kafka', 'cassandra', 'mysql'] as const;

async function probe(env: Record<string, string> = {}) {
  const service = await compose(loadConfig({ ...process.env, ...env }), silentLogger());
  try {
    const health = await service.app.inject({ method: 'GET', url: '/healthz' });
    const ready = await service.app.inject({ method: 'GET', url: '/readyz' });
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    return { health, ready, metrics };
  } finally {
    await service.stop();
  }
}

describe('producer-proxy health', () => {
  it('is live and ready when every dependency answers', async () => {
    const { health, ready, metrics } = await probe();
    expect(health.statusCode).toBe(200);
    expect(ready.statusCode).toBe(200);
    const body = ready.json<{ status: string; checks: Record<string, { status: string }> }>();
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual([...dependencies].sort());
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
  });

  it.each(dependencies)('turns unready and names %s when it is stopped', async (dependency) => {
    const { health, ready } = await probe(await stoppedDependencyEnv(dependency));
    expect(health.statusCode).toBe(200);
    expect(ready.statusCode).toBe(503);
    const body = ready.json<{
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    }>();
    expect(body.status).toBe('unready');
    expect(body.checks[dependency]?.status).toBe('down');
    for (const other of dependencies.filter((name) => name !== dependency)) {
      expect(body.checks[other]?.status).toBe('up');
    }
  });

  it('refuses to start with an invalid configuration', () => {
    expect(() =>
      loadConfig({ WAIL_KAFKA_BROKERS: 'nope', WAIL_MYSQL_URL: 'postgres://x' }),
    ).toThrow(/invalid configuration/);
  });
});
