import type { FastifyInstance } from 'fastify';
import { Readiness } from '@wail/runtime';
import { createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { buildApp } from '../app';
import type { Gateway } from '../gateway';

interface Operation {
  security?: unknown[];
  responses?: Record<string, unknown>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

describe('the gateway OpenAPI document', () => {
  let app: FastifyInstance;
  let document: Document;
  beforeAll(async () => {
    app = await buildApp({
      logger: silentLogger(),
      readiness: new Readiness([]),
      metrics: createMetricsRegistry('event-gateway'),
      // Only documents are asked for: no route reaches the gateway.
      gateway: {} as Gateway,
      adminToken: undefined,
      heartbeatMs: 1000,
    });
    document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
  });
  afterAll(async () => {
    await app.close();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );

  it('documents every route the app serves', () => {
    const documented = operations().map(({ name }) => name.replace(/\{(\w+)\}/g, ':$1'));
    expect(app.routeList.filter((r) => r.includes('/v1/')).length).toBe(8);
    for (const route of app.routeList.filter((r) => !r.startsWith('HEAD ')))
      expect(documented).toContain(route);
  });

  it('asks for the admin token or the subscription token on every /v1 operation', () => {
    const admin = '[{"admin":[]}]';
    const subscriber = '[{"subscription":[]},{"admin":[]}]';
    const security = Object.fromEntries(
      operations().map(({ name, operation }) => [name, JSON.stringify(operation.security)]),
    );
    expect(security).toEqual({
      'GET /healthz': undefined,
      'GET /readyz': undefined,
      'GET /metrics': undefined,
      'GET /openapi.json': undefined,
      'POST /v1/subscriptions': admin,
      'GET /v1/subscriptions': admin,
      'GET /v1/subscriptions/{id}': subscriber,
      'DELETE /v1/subscriptions/{id}': admin,
      'GET /v1/subscriptions/{id}/events': subscriber,
      'POST /v1/subscriptions/{id}/ack': subscriber,
      'GET /v1/subscriptions/{id}/dead-letters': subscriber,
      'POST /v1/subscriptions/{id}/dead-letters/redrive': admin,
    });
  });

  it('defines every component an operation refers to', () => {
    const referenced = [
      ...JSON.stringify(document.paths).matchAll(/"#\/components\/schemas\/([^"]+)"/g),
    ].map(([, name]) => name!);
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of new Set(referenced))
      expect(Object.keys(document.components.schemas)).toContain(name);
  });
});
