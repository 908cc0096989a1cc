import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, type Registry } from 'prom-client';
import { quietRoutes } from './quiet';
import type { Readiness } from './readiness';

export interface HealthRoutesOptions {
  readiness: Readiness;
  metrics?: Registry;
}

/** Methods a series is named after; any other is `_other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The route label of a request nothing matched (a path is never a label: it is the client's). */
export const UNMATCHED_ROUTE = '_unmatched';

/**
 * Counts every answer by method, route pattern and status, and times it:
 * `wail_http_requests_total` and `wail_http_request_seconds`. The labels are
 * bounded whatever a client sends: the route is the pattern a request
 * matched, never its path.
 */
function observeHttp(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'wail_http_requests_total',
    help: `HTTP answers by method, route pattern (${UNMATCHED_ROUTE} when no route matched) and status code`,
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'wail_http_request_seconds',
    help: 'time to answer an HTTP request, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    const method = METHODS.has(request.method) ? request.method : '_other';
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    requests.inc({ method, route, status: String(reply.statusCode) });
    seconds.observe({ method, route }, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * `GET /healthz` answers while the process can serve at all (liveness);
 * `GET /readyz` answers 200 only when every dependency is up (readiness);
 * `GET /metrics` exposes the Prometheus registry, with every HTTP answer
 * of the service counted and timed in it.
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
    observeHttp(app, metrics);
    app.get('/metrics', quiet, async (_request, reply) => {
      const body = await metrics.metrics();
      return reply.type(metrics.contentType).send(body);
    });
  }
}

export default fp(healthRoutes, { name: 'wail-health-routes', fastify: '5.x' });
