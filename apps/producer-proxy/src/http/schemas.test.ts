import type { FastifyInstance } from 'fastify';
import { Readiness } from '@wail/runtime';
import { createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { buildApp } from '../app';
import type { MutationService } from '../mutations/mutation-service';

/** What the routes handed to the service: nothing, for a body the schemas refuse. */
const calls: unknown[] = [];
const mutations = {
  mutate: async (input: unknown) => {
    calls.push(input);
    return { intentId: 'i', ts: 1, intentLogged: true };
  },
  mutateBatch: async (inputs: unknown[]) => {
    calls.push(...inputs);
    return inputs.map(() => ({ status: 200, intentId: 'i', ts: 1, intentLogged: true }));
  },
  read: async () => ({ row: {}, wail_ts: '1' }),
} as unknown as MutationService;

describe('the mutation body schemas', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({
      logger: silentLogger(),
      readiness: new Readiness([]),
      metrics: createMetricsRegistry('producer-proxy'),
      mutations,
      tokens: undefined,
      bodyLimit: 4096,
      batchLimit: 5,
    });
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(() => calls.splice(0));

  const one = (op: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/tables/customers/mutations',
      payload: { op, key: { id: 7 }, ...(op === 'upsert' ? { values: { name: 'a' } } : {}) },
    });
  const batch = (op: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/mutations',
      payload: {
        mutations: [
          { table: 'customers', op: 'upsert', key: { id: 1 } },
          { table: 'customers', op, key: { id: 7 } },
        ],
      },
    });

  it.each(['upsert', 'delete'])('takes op %s', async (op) => {
    expect((await one(op)).statusCode).toBe(200);
    expect((await batch(op)).statusCode).toBe(200);
    expect(calls).toHaveLength(3);
  });

  // `refresh` is an intent op of backfill (intent format version 2), never a client's.
  it.each(['refresh', 'REFRESH', 'insert', ''])(
    'refuses op %j with 400 BAD_REQUEST, one mutation or in a batch, before the service sees it',
    async (op) => {
      for (const answer of [await one(op), await batch(op)]) {
        expect(answer.statusCode).toBe(400);
        expect(answer.json<{ error: { code: string } }>().error.code).toBe('BAD_REQUEST');
      }
      expect(calls).toHaveLength(0);
    },
  );
});
