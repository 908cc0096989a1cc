import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { quietRoutes } from './quiet';
import type { Readiness } from './readiness';

export interface HealthRoutesOptions {
  readiness: Readiness;
  metrics?: Registry;
}

/**
 * `GET /healthz` answers while the process can serve at all (liveness);
 * `GET /readyz` answers 200 only when every dependency is up (readiness);
 * `GET /metrics` exposes the Prometheus registry.
 */
async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  const quiet = quietRoutes(app.log);
  app.get('/healthz', quiet, async () => ({ status: 'ok' }));

  app.get('/readyz', quiet, async (_request, reply) => {
    const report = await options.readiness.evaluate();
    return reply.code(report.ready ? 200 : 503).send({
      status: report.ready ? 'ready' : 'unready',
      draining: report.draining,
      checks: report.checks,
    });
  });

  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', quiet, async (_request, reply) => {
      const body = await metrics.metrics();
      return reply.type(metrics.contentType).send(body);
    });
  }
}

export default fp(healthRoutes, { name: 'wail-health-routes', fastify: '5.x' });
