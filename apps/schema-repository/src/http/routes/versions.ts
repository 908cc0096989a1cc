import type { FastifyInstance, FastifySchema } from 'fastify';
import type { SchemaRegistry } from '../../registry/schema-registry';
import { flag, parseVersion, registerRequest, type Query } from '../request-values';
import {
  deleted,
  described,
  errorAnswer,
  integers,
  pathParams,
  queryParams,
  schemaRequest,
  subject,
  subjectVersion,
  toggle,
  version,
} from '../route-schemas';
import { versionBody } from './bodies';

interface SubjectParams {
  subject: string;
}
interface VersionParams extends SubjectParams {
  version: string;
}

const ofVersion = pathParams({ subject, version });

const listVersions = {
  summary: 'versions of a subject',
  params: pathParams({ subject }),
  querystring: queryParams({ deleted, deletedOnly: toggle() }),
  response: { 200: described('versions', integers), 404: errorAnswer },
} satisfies FastifySchema;

const register = {
  summary: 'register a schema',
  params: pathParams({ subject }),
  querystring: queryParams({
    normalize: toggle('accepted; identity is always normalized'),
    force: toggle('skip the compatibility check'),
  }),
  body: schemaRequest,
  response: {
    200: described('{"id": N}', { type: 'object', properties: { id: { type: 'integer' } } }),
    409: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

const getVersion = {
  summary: 'a version',
  params: ofVersion,
  querystring: queryParams({ deleted }),
  response: {
    200: described('the version', subjectVersion),
    404: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

const getVersionSchema = {
  summary: 'the raw schema of a version',
  params: ofVersion,
  querystring: queryParams({ deleted }),
  response: { 200: described('schema JSON'), 404: errorAnswer },
} satisfies FastifySchema;

const referencedBy = {
  summary: 'ids of schemas referencing this version',
  params: ofVersion,
  response: { 200: described('ids', integers), 404: errorAnswer },
} satisfies FastifySchema;

const deleteVersion = {
  summary: 'soft- or permanently delete a version',
  params: ofVersion,
  querystring: queryParams({ permanent: toggle('hard delete') }),
  response: {
    200: described('the version number', { type: 'integer' }),
    404: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

/** `/subjects/{subject}/versions`: registering, reading and deleting a subject's versions. */
export async function versionRoutes(
  app: FastifyInstance,
  { registry }: { registry: SchemaRegistry },
): Promise<void> {
  app.get<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject/versions',
    { schema: listVersions },
    async (request) =>
      registry.listVersions(request.params.subject, {
        deleted: flag(request.query, 'deleted'),
        deletedOnly: flag(request.query, 'deletedOnly'),
      }),
  );

  app.post<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject/versions',
    { config: { access: 'write' }, schema: register },
    async (request) => {
      const { id } = await registry.register(
        request.params.subject,
        registerRequest(request.body, registry.bounds),
        { force: flag(request.query, 'force') },
      );
      return { id };
    },
  );

  app.get<{ Params: VersionParams; Querystring: Query }>(
    '/subjects/:subject/versions/:version',
    { schema: getVersion },
    async (request) =>
      versionBody(
        await registry.getVersion(
          request.params.subject,
          parseVersion(request.params.version),
          flag(request.query, 'deleted'),
        ),
      ),
  );

  app.get<{ Params: VersionParams; Querystring: Query }>(
    '/subjects/:subject/versions/:version/schema',
    { schema: getVersionSchema },
    async (request, reply) => {
      const found = await registry.getVersion(
        request.params.subject,
        parseVersion(request.params.version),
        flag(request.query, 'deleted'),
      );
      return reply.send(JSON.parse(found.schema));
    },
  );

  app.get<{ Params: VersionParams }>(
    '/subjects/:subject/versions/:version/referencedby',
    { schema: referencedBy },
    async (request) =>
      registry.referencedBy(request.params.subject, parseVersion(request.params.version)),
  );

  app.delete<{ Params: VersionParams; Querystring: Query }>(
    '/subjects/:subject/versions/:version',
    { config: { access: 'write' }, schema: deleteVersion },
    async (request) =>
      registry.deleteVersion(
        request.params.subject,
        parseVersion(request.params.version),
        flag(request.query, 'permanent'),
      ),
  );
}
