import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WailError } from '@wail/errors';
import type { JsonValue } from '@wail/store';
import type { MutationService } from '../mutations/mutation-service';
import type { TableAuthorizer } from './auth';
import { BatchBody, MutationBody, TableParams } from './schemas';

export interface ProxyRouteOptions {
  mutations: MutationService;
  authorizer: TableAuthorizer;
  batchLimit: number;
}

export async function proxyRoutes(
  root: FastifyInstance,
  options: ProxyRouteOptions,
): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { mutations, authorizer } = options;

  app.post(
    '/v1/tables/:table/mutations',
    { schema: { params: TableParams, body: MutationBody } },
    async (request) => {
      authorizer.assert(request.headers.authorization, [request.params.table]);
      const { op, key, values } = request.body;
      return mutations.mutate({
        table: request.params.table,
        op,
        key,
        values: values as Record<string, JsonValue> | undefined,
      });
    },
  );

  app.post('/v1/mutations', { schema: { body: BatchBody } }, async (request) => {
    const items = request.body.mutations;
    if (items.length > options.batchLimit) {
      throw new WailError(
        'PAYLOAD_TOO_LARGE',
        `a batch holds at most ${options.batchLimit} mutations (got ${items.length})`,
      );
    }
    authorizer.assert(
      request.headers.authorization,
      items.map((item) => item.table),
    );
    const results = await mutations.mutateBatch(
      items.map((item) => ({
        table: item.table,
        op: item.op,
        key: item.key,
        values: item.values as Record<string, JsonValue> | undefined,
      })),
    );
    return { results };
  });

  app.get('/v1/tables/:table/rows', { schema: { params: TableParams } }, async (request) => {
    authorizer.assert(request.headers.authorization, [request.params.table]);
    const query = request.query as Record<string, string | string[]>;
    const key: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(query))
      key[name] = Array.isArray(value) ? value.at(-1)! : value;
    return mutations.read(request.params.table, key);
  });
}
