import type { FastifyInstance, FastifySchema } from 'fastify';
import type { ControlPlane } from '../../control-plane/control-plane';
import { parseVersion } from '../request-values';
import {
  described,
  errorAnswer,
  integers,
  modelRequest,
  modelVersion,
  pathParams,
  table,
  version,
} from '../route-schemas';

interface TableParams {
  table: string;
}
interface ModelVersionParams extends TableParams {
  version: string;
}

const registerModel = {
  summary: 'register a data model version',
  params: pathParams({ table }),
  body: modelRequest,
  response: {
    200: described('the version', modelVersion),
    404: errorAnswer,
    409: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

const listVersions = {
  summary: 'data model versions',
  params: pathParams({ table }),
  response: { 200: described('versions', integers), 404: errorAnswer },
} satisfies FastifySchema;

const getModel = {
  summary: 'a data model version (number or latest)',
  params: pathParams({ table, version }),
  response: { 200: described('the model with its schema', { type: 'object' }), 404: errorAnswer },
} satisfies FastifySchema;

/** `/v1/models`: the data models of the tables, WAIL's own control plane. */
export async function modelRoutes(
  app: FastifyInstance,
  { controlPlane }: { controlPlane: ControlPlane },
): Promise<void> {
  app.post<{ Params: TableParams }>(
    '/v1/models/:table/versions',
    { config: { access: 'write' }, schema: registerModel },
    async (request) => controlPlane.registerModel(request.params.table, request.body),
  );
  app.get<{ Params: TableParams }>(
    '/v1/models/:table/versions',
    { schema: listVersions },
    async (request) => controlPlane.listModelVersions(request.params.table),
  );
  app.get<{ Params: ModelVersionParams }>(
    '/v1/models/:table/versions/:version',
    { schema: getModel },
    async (request) =>
      controlPlane.getModel(request.params.table, parseVersion(request.params.version)),
  );
}
