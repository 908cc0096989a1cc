import type { FastifyInstance, FastifySchema } from 'fastify';
import type { ControlPlane } from '../../control-plane/control-plane';
import { described, errorAnswer, pathParams, table, tableRoute } from '../route-schemas';

interface TableParams {
  table: string;
}

const ofTable = pathParams({ table });

const listRoutes = {
  summary: 'all table routes and the control-plane revision',
  description:
    'The ETag is the revision; send If-None-Match to get 304 until a route or model changes.',
  response: {
    200: described('{"revision": N, "tables": [...]}', {
      type: 'object',
      properties: {
        revision: { type: 'integer' },
        tables: { type: 'array', items: { type: 'object' } },
      },
    }),
    304: described('unchanged', { type: 'null' }),
  },
} satisfies FastifySchema;

const getRoute = {
  summary: 'a table route',
  params: ofTable,
  response: { 200: described('the route and its revision', tableRoute), 404: errorAnswer },
} satisfies FastifySchema;

const putRoute = {
  summary: 'create or replace a route (idempotent)',
  params: ofTable,
  body: tableRoute,
  response: {
    200: described('the stored route', tableRoute),
    409: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

const deleteRoute = {
  summary: 'remove a route',
  params: ofTable,
  response: { 200: described('the removed route', tableRoute), 404: errorAnswer },
} satisfies FastifySchema;

/** `/v1/tables`: table routes, WAIL's own control plane. */
export async function tableRoutes(
  app: FastifyInstance,
  { controlPlane }: { controlPlane: ControlPlane },
): Promise<void> {
  // The listing's ETag is the control-plane revision: pollers send If-None-Match
  // and get a bodiless 304 until a route or a model changes.
  app.get('/v1/tables', { schema: listRoutes }, async (request, reply) => {
    const etag = `"${await controlPlane.revision()}"`;
    reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return controlPlane.listRoutes();
  });

  app.get<{ Params: TableParams }>('/v1/tables/:table', { schema: getRoute }, async (request) =>
    controlPlane.getRoute(request.params.table),
  );
  app.put<{ Params: TableParams }>(
    '/v1/tables/:table',
    { config: { access: 'write' }, schema: putRoute },
    async (request) => controlPlane.putRoute(request.params.table, request.body),
  );
  app.delete<{ Params: TableParams }>(
    '/v1/tables/:table',
    { config: { access: 'write' }, schema: deleteRoute },
    async (request) => controlPlane.deleteRoute(request.params.table),
  );
}
