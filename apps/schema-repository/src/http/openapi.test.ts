import type { FastifyInstance } from 'fastify';
import type { Pool } from 'mysql2/promise';
import { Readiness } from '@wail/runtime';
import { createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { buildApp } from '../app';
import { ControlPlane } from '../control-plane/control-plane';
import { SchemaRegistry } from '../registry/schema-registry';
import { REQUEST_TYPES, RESPONSE_TYPES } from './content-negotiation';

interface Operation {
  security?: unknown[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** The document is generated from the routes alone: no request reaches the (absent) database. */
async function openApi(): Promise<{ app: FastifyInstance; document: Document }> {
  const pool = {} as Pool;
  const registry = new SchemaRegistry(pool);
  const app = await buildApp({
    logger: silentLogger(),
    readiness: new Readiness([]),
    metrics: createMetricsRegistry('schema-repository'),
    registry,
    controlPlane: new ControlPlane(pool, registry),
    bodyLimit: 1024,
    tokens: { write: undefined, read: undefined },
  });
  const answer = await app.inject({ method: 'GET', url: '/openapi.json' });
  return { app, document: answer.json<Document>() };
}

function operations(document: Document): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      operation,
    ]),
  );
}

describe('the generated OpenAPI document', () => {
  let app: FastifyInstance;
  let document: Document;
  beforeAll(async () => {
    ({ app, document } = await openApi());
  });
  afterAll(async () => {
    await app.close();
  });

  it('marks the public operations public and the writes as needing the write token, from each route’s access', () => {
    const security = (wanted: string) =>
      operations(document)
        .filter(([, operation]) => JSON.stringify(operation.security) === wanted)
        .map(([name]) => name)
        .sort();
    expect(security('[]')).toEqual(
      [
        'GET /',
        'GET /schemas/types',
        'GET /schemas/ids/{id}',
        'GET /schemas/ids/{id}/schema',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
      ].sort(),
    );
    expect(security('[{"bearer":[]}]')).toEqual(
      [
        'POST /subjects/{subject}/versions',
        'DELETE /subjects/{subject}',
        'DELETE /subjects/{subject}/versions/{version}',
        'PUT /config',
        'DELETE /config',
        'PUT /config/{subject}',
        'DELETE /config/{subject}',
        'PUT /mode',
        'PUT /mode/{subject}',
        'DELETE /mode/{subject}',
        'PUT /v1/tables/{table}',
        'DELETE /v1/tables/{table}',
        'POST /v1/models/{table}/versions',
        'PUT /v1/backfills/{table}',
        'DELETE /v1/backfills/{table}',
      ].sort(),
    );
  });

  it('offers the Confluent media types on every Confluent answer and takes the four body types', () => {
    const ops = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);
    for (const [name, operation] of operations(document)) {
      if (ops.has(name.split(' ')[1]!)) continue;
      for (const response of Object.values(operation.responses)) {
        if (response.content)
          expect([name, Object.keys(response.content)]).toEqual([name, RESPONSE_TYPES]);
      }
      if (operation.requestBody)
        expect([name, Object.keys(operation.requestBody.content)]).toEqual([name, REQUEST_TYPES]);
    }
  });

  it('defines every component a route refers to', () => {
    const referenced = [
      ...JSON.stringify(document.paths).matchAll(/"#\/components\/schemas\/([^"]+)"/g),
    ].map(([, name]) => name!);
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of new Set(referenced))
      expect(Object.keys(document.components.schemas)).toContain(name);
  });
});
