import Fastify from 'fastify';
import { Registry } from 'prom-client';
import healthRoutes, { UNMATCHED_ROUTE } from './health-routes';
import { Readiness } from './readiness';

async function app() {
  const metrics = new Registry();
  const server = Fastify();
  server.get('/before/:id', async () => ({ ok: true }));
  await server.register(healthRoutes, { readiness: new Readiness([]), metrics });
  server.post('/after', async (_request, reply) => reply.code(503).send({ busy: true }));
  await server.ready();
  return { server, metrics };
}

async function series(metrics: Registry, name: string) {
  const metric = await metrics.getSingleMetric(name)!.get();
  return metric.values.map(({ labels, value }) => ({ labels, value }));
}

describe('the HTTP metrics of a service', () => {
  it('counts every answer by method, route pattern and status, routes registered before or after', async () => {
    const { server, metrics } = await app();
    await server.inject({ method: 'GET', url: '/before/1' });
    await server.inject({ method: 'GET', url: '/before/2' });
    await server.inject({ method: 'POST', url: '/after' });
    expect(await series(metrics, 'wail_http_requests_total')).toEqual(
      expect.arrayContaining([
        { labels: { method: 'GET', route: '/before/:id', status: '200' }, value: 2 },
        { labels: { method: 'POST', route: '/after', status: '503' }, value: 1 },
      ]),
    );
    const timed = await series(metrics, 'wail_http_request_seconds');
    expect(timed).toContainEqual({
      labels: { method: 'GET', route: '/before/:id', le: '+Inf' },
      value: 2,
    });
    await server.close();
  });

  it('names no series after a path or method a client made up', async () => {
    const { server, metrics } = await app();
    for (let i = 0; i < 50; i++) await server.inject({ method: 'GET', url: `/no/such/${i}` });
    await server.inject({ method: 'PROPFIND' as 'GET', url: '/before/1' });
    const counted = await series(metrics, 'wail_http_requests_total');
    expect(counted).toContainEqual({
      labels: { method: 'GET', route: UNMATCHED_ROUTE, status: '404' },
      value: 50,
    });
    for (const { labels } of counted) {
      expect(['/before/:id', UNMATCHED_ROUTE]).toContain(labels['route']);
      expect(['GET', '_other']).toContain(labels['method']);
    }
    await server.close();
  });
});
