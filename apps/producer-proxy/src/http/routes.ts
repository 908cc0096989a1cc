import type { FastifyInstance, FastifySchema } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WailError } from '@wail/errors';
import type { JsonValue } from '@wail/store';
import type { MutationService } from '../mutations/mutation-service';
import type { TableAuthorizer } from './auth';
import {
  BatchBody,
  described,
  errorAnswer,
  MutationBody,
  mutationResult,
  TableParams,
  tableToken,
} from './schemas';

export interface ProxyRouteOptions {
  mutations: MutationService;
  authorizer: TableAuthorizer;
  batchLimit: number;
}

const mutateOne = {
  summary: 'one mutation',
  security: tableToken,
  params: TableParams,
  body: MutationBody,
  response: {
    200: described('logged and written', mutationResult),
    400: errorAnswer,
    401: errorAnswer,
    403: errorAnswer,
    404: errorAnswer,
    413: errorAnswer,
    422: errorAnswer,
    503: errorAnswer,
  },
} satisfies FastifySchema;

const mutateBatch = {
  summary: 'a batch of mutations (bounded); one intent request, per-item results',
  security: tableToken,
  body: BatchBody,
  response: {
    200: described(
      'per-item results, in order: {status, intentId, ts, intentLogged} or {status, error}',
      {
        type: 'object',
        properties: { results: { type: 'array', items: { type: 'object' } } },
      },
    ),
    400: errorAnswer,
    401: errorAnswer,
    403: errorAnswer,
    413: errorAnswer,
  },
} satisfies FastifySchema;

/** Its query (the key, one parameter per key column) is documented in `openapi.ts`. */
const readRow = {
  summary: 'the current row by key (strong read)',
  security: tableToken,
  params: TableParams,
  response: {
    200: described('{"row": {…}, "wail_ts": N}', { type: 'object' }),
    400: errorAnswer,
    401: errorAnswer,
    403: errorAnswer,
    404: errorAnswer,
    503: errorAnswer,
  },
} satisfies FastifySchema;

export async function proxyRoutes(
  root: FastifyInstance,
  options: ProxyRouteOptions,
): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { mutations, authorizer } = options;

  app.post('/v1/tables/:table/mutations', { schema: mutateOne }, async (request) => {
    authorizer.assert(request.headers.authorization, [request.params.table]);
    const { op, key, values } = request.body;
    return mutations.mutate({
      table: request.params.table,
      op,
      key,
      values: values as Record<string, JsonValue> | undefined,
    });
  });

  app.post('/v1/mutations', { schema: mutateBatch }, async (request) => {
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

  app.get('/v1/tables/:table/rows', { schema: readRow }, async (request) => {
    authorizer.assert(request.headers.authorization, [request.params.table]);
    const query = request.query as Record<string, string | string[]>;
    const key: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(query))
      key[name] = Array.isArray(value) ? value.at(-1)! : value;
    return mutations.read(request.params.table, key);
  });
}
