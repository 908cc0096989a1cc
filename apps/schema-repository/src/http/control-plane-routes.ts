import type { FastifyInstance } from 'fastify';
import type { ControlPlane } from '../control-plane/control-plane';
import { parseVersion } from './request-values';

interface TableParams {
  table: string;
}
interface ModelVersionParams extends TableParams {
  version: string;
}

/** WAIL's own control plane: `/v1/tables` (routes) and `/v1/models` (data models). */
export async function controlPlaneRoutes(
  app: FastifyInstance,
  controlPlane: ControlPlane,
): Promise<void> {
  const write = { config: { access: 'write' as const } };

  // The listing's ETag is the control-plane revision: pollers send If-None-Match
  // and get a bodiless 304 until a route or a model changes.
  app.get('/v1/tables', async (request, reply) => {
    const etag = `"${await controlPlane.revision()}"`;
    reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return controlPlane.listRoutes();
  });

  app.get<{ Params: TableParams }>('/v1/tables/:table', async (request) =>
    controlPlane.getRoute(request.params.table),
  );
  app.put<{ Params: TableParams }>('/v1/tables/:table', write, async (request) =>
    controlPlane.putRoute(request.params.table, request.body),
  );
  app.delete<{ Params: TableParams }>('/v1/tables/:table', write, async (request) =>
    controlPlane.deleteRoute(request.params.table),
  );

  app.post<{ Params: TableParams }>('/v1/models/:table/versions', write, async (request) =>
    controlPlane.registerModel(request.params.table, request.body),
  );
  app.get<{ Params: TableParams }>('/v1/models/:table/versions', async (request) =>
    controlPlane.listModelVersions(request.params.table),
  );
  app.get<{ Params: ModelVersionParams }>('/v1/models/:table/versions/:version', async (request) =>
    controlPlane.getModel(request.params.table, parseVersion(request.params.version)),
  );
}
