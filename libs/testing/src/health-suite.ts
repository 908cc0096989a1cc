import type { FastifyInstance } from 'fastify';
import { silentLogger } from '@wail/telemetry';
import { stoppedDependencyEnv } from './readiness';

type Dependency = 'kafka' | 'cassandra' | 'mysql' | 'postgres' | 'redis';

interface Composable<C> {
  loadConfig(env: NodeJS.ProcessEnv): C;
  compose(
    config: C,
    logger: ReturnType<typeof silentLogger>,
  ): Promise<{ app: FastifyInstance; stop(): Promise<void> }>;
}

/**
 * The health contract every service shares: live and ready when its
 * dependencies answer; still live but unready, naming the culprit, when one
 * is stopped; and no start at all with an invalid configuration.
 */
export function describeHealth<C>(
  title: string,
  dependencies: readonly Dependency[],
  service: Composable<C>,
  invalidEnv: Record<string, string>,
): void {
  async function probe(env: Record<string, string> = {}) {
    const running = await service.compose(
      service.loadConfig({ ...process.env, ...env }),
      silentLogger(),
    );
    try {
      const health = await running.app.inject({ method: 'GET', url: '/healthz' });
      const ready = await running.app.inject({ method: 'GET', url: '/readyz' });
      const metrics = await running.app.inject({ method: 'GET', url: '/metrics' });
      return { health, ready, metrics };
    } finally {
      await running.stop();
    }
  }

  describe(`${title} health`, () => {
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
      const body = ready.json<{ status: string; checks: Record<string, { status: string }> }>();
      expect(body.status).toBe('unready');
      expect(body.checks[dependency]?.status).toBe('down');
      for (const other of dependencies.filter((name) => name !== dependency)) {
        expect(body.checks[other]?.status).toBe('up');
      }
    });

    it('refuses to start with an invalid configuration', () => {
      expect(() => service.loadConfig(invalidEnv)).toThrow(/invalid configuration/);
    });
  });
}
