import type { FastifyInstance, FastifySchema } from 'fastify';
import type { SchemaRegistry } from '../../registry/schema-registry';
import { flag, parseVersion, registerRequest, type Query } from '../request-values';
import {
  described,
  errorAnswer,
  pathParams,
  queryParams,
  schemaRequest,
  subject,
  toggle,
  version,
} from '../route-schemas';

interface SubjectParams {
  subject: string;
}
interface VersionParams extends SubjectParams {
  version: string;
}

const verbose = queryParams({ verbose: toggle('include messages') });
const verdict = described('{"is_compatible": bool}', {
  type: 'object',
  properties: {
    is_compatible: { type: 'boolean' },
    messages: { type: 'array', items: { type: 'string' } },
  },
});

const againstVersion = {
  summary: 'test against one version',
  params: pathParams({ subject, version }),
  querystring: verbose,
  body: schemaRequest,
  response: { 200: verdict, 401: errorAnswer, 404: errorAnswer, 422: errorAnswer },
} satisfies FastifySchema;

const asRegistration = {
  summary: 'test as a registration would',
  params: pathParams({ subject }),
  querystring: verbose,
  body: schemaRequest,
  response: { 200: verdict, 401: errorAnswer, 422: errorAnswer },
} satisfies FastifySchema;

/**
 * `/compatibility`: would a schema pass? The checks cost CPU, so they need a
 * token as soon as the repository has one (`access: 'check'`).
 */
export async function compatibilityRoutes(
  app: FastifyInstance,
  { registry }: { registry: SchemaRegistry },
): Promise<void> {
  app.post<{ Params: VersionParams; Querystring: Query }>(
    '/compatibility/subjects/:subject/versions/:version',
    { config: { access: 'check' }, schema: againstVersion },
    async (request) =>
      registry.testCompatibility(
        request.params.subject,
        parseVersion(request.params.version),
        registerRequest(request.body, registry.bounds),
        flag(request.query, 'verbose'),
      ),
  );

  app.post<{ Params: SubjectParams; Querystring: Query }>(
    '/compatibility/subjects/:subject/versions',
    { config: { access: 'check' }, schema: asRegistration },
    async (request) =>
      registry.testCompatibility(
        request.params.subject,
        undefined,
        registerRequest(request.body, registry.bounds),
        flag(request.query, 'verbose'),
      ),
  );
}
