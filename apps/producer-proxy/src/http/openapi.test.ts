import type { FastifyInstance } from 'fastify';
import { Readiness } from '@wail/runtime';
import { createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { buildApp } from '../app';
import type { MutationService } from '../mutations/mutation-service';

interface Operation {
  security?: unknown[];
  parameters?: { in: string; name: string }[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** Answers with more than their schemas describe, to see that none of it is dropped. */
const mutations = {
  mutate: async () => ({ intentId: 'i', ts: 1, intentLogged: true, extra: { kept: [1, null] } }),
  mutateBatch: async () => [{ status: 422, error: { code: 'C', message: 'm', details: { n: 1 } } }],
  read: async () => ({ row: { id: '1' }, wail_ts: '7' }),
} as unknown as MutationService;

describe('the generated OpenAPI document', () => {
  let app: FastifyInstance;
  let document: Document;
  beforeAll(async () => {
    app = await buildApp({
      logger: silentLogger(),
      readiness: new Readiness([]),
      metrics: createMetricsRegistry('producer-proxy'),
      mutations,
      tokens: undefined,
      bodyLimit: 1024,
      batchLimit: 5,
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

  it('asks for the bearer token on the /v1 operations only', () => {
    const secured = operations()
      .filter(({ operation }) => JSON.stringify(operation.security) === '[{"bearer":[]}]')
      .map(({ name }) => name);
    expect(secured.sort()).toEqual(
      [
        'POST /v1/tables/{table}/mutations',
        'POST /v1/mutations',
        'GET /v1/tables/{table}/rows',
      ].sort(),
    );
    for (const { name, operation } of operations())
      if (!secured.includes(name)) expect([name, operation.security]).toEqual([name, undefined]);
  });

  it('documents the row read’s key as query parameters', () => {
    const read = document.paths['/v1/tables/{table}/rows']!['get']!;
    expect(read.parameters?.map((parameter) => `${parameter.in} ${parameter.name}`).sort()).toEqual(
      ['path table', 'query <keyColumn>'],
    );
  });

  it('defines every component an operation refers to', () => {
    const referenced = [
      ...JSON.stringify(document.paths).matchAll(/"#\/components\/schemas\/([^"]+)"/g),
    ].map(([, name]) => name!);
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of new Set(referenced))
      expect(Object.keys(document.components.schemas)).toContain(name);
  });

  it('sends answers whole: their schemas document, they do not filter or coerce', async () => {
    const one = await app.inject({
      method: 'POST',
      url: '/v1/tables/t/mutations',
      payload: { op: 'delete', key: { id: 1 } },
    });
    expect(one.json()).toEqual({
      intentId: 'i',
      ts: 1,
      intentLogged: true,
      extra: { kept: [1, null] },
    });
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/mutations',
      payload: { mutations: [{ table: 't', op: 'delete', key: { id: 1 } }] },
    });
    expect(batch.json()).toEqual({
      results: [{ status: 422, error: { code: 'C', message: 'm', details: { n: 1 } } }],
    });
    const row = await app.inject({ method: 'GET', url: '/v1/tables/t/rows?id=1' });
    expect(row.json()).toEqual({ row: { id: '1' }, wail_ts: '7' });
  });
});
