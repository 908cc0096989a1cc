import type { FastifyInstance } from 'fastify';
import type { SchemaRegistry } from '../../registry/schema-registry';
import { flag, parseVersion, registerRequest, text, type Query } from '../request-values';
import {
  deleted,
  described,
  errorAnswer,
  integers,
  pathParams,
  queryParams,
  schemaRequest,
  strings,
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

const ofSubject = pathParams({ subject });
const ofVersion = pathParams({ subject, version });
const permanent = queryParams({ permanent: toggle('hard delete') });

/** `/subjects`: subjects and their versions — listing, lookup, registration, deletes. */
export async function subjectRoutes(
  app: FastifyInstance,
  { registry }: { registry: SchemaRegistry },
): Promise<void> {
  app.get<{ Querystring: Query }>(
    '/subjects',
    {
      schema: {
        summary: 'list subjects',
        querystring: queryParams({
          subjectPrefix: { type: 'string' },
          deleted,
          deletedOnly: toggle('only soft-deleted subjects'),
        }),
        response: { 200: described('subjects', strings) },
      },
    },
    async (request) =>
      registry.listSubjects({
        prefix: text(request.query, 'subjectPrefix') ?? '',
        deleted: flag(request.query, 'deleted'),
        deletedOnly: flag(request.query, 'deletedOnly'),
      }),
  );

  app.post<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject',
    {
      schema: {
        summary: 'look up a schema in a subject',
        params: ofSubject,
        querystring: queryParams({ deleted }),
        body: schemaRequest,
        response: {
          200: described('the version', subjectVersion),
          404: errorAnswer,
          422: errorAnswer,
        },
      },
    },
    async (request) =>
      versionBody(
        await registry.lookup(
          request.params.subject,
          registerRequest(request.body, registry.bounds),
          flag(request.query, 'deleted'),
        ),
      ),
  );

  app.delete<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject',
    {
      config: { access: 'write' },
      schema: {
        summary: 'soft-delete (or, after that, permanently delete) a subject',
        params: ofSubject,
        querystring: permanent,
        response: {
          200: described('deleted versions', integers),
          404: errorAnswer,
          422: errorAnswer,
        },
      },
    },
    async (request) =>
      registry.deleteSubject(request.params.subject, flag(request.query, 'permanent')),
  );

  app.get<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject/versions',
    {
      schema: {
        summary: 'versions of a subject',
        params: ofSubject,
        querystring: queryParams({ deleted, deletedOnly: toggle() }),
        response: { 200: described('versions', integers), 404: errorAnswer },
      },
    },
    async (request) =>
      registry.listVersions(request.params.subject, {
        deleted: flag(request.query, 'deleted'),
        deletedOnly: flag(request.query, 'deletedOnly'),
      }),
  );

  app.post<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject/versions',
    {
      config: { access: 'write' },
      schema: {
        summary: 'register a schema',
        params: ofSubject,
        querystring: queryParams({
          normalize: toggle('accepted; identity is always normalized'),
          force: toggle('skip the compatibility check'),
        }),
        body: schemaRequest,
        response: {
          200: described('{"id": N}', {
            type: 'object',
            properties: { id: { type: 'integer' } },
          }),
          409: errorAnswer,
          422: errorAnswer,
        },
      },
    },
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
    {
      schema: {
        summary: 'a version',
        params: ofVersion,
        querystring: queryParams({ deleted }),
        response: {
          200: described('the version', subjectVersion),
          404: errorAnswer,
          422: errorAnswer,
        },
      },
    },
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
    {
      schema: {
        summary: 'the raw schema of a version',
        params: ofVersion,
        querystring: queryParams({ deleted }),
        response: { 200: described('schema JSON'), 404: errorAnswer },
      },
    },
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
    {
      schema: {
        summary: 'ids of schemas referencing this version',
        params: ofVersion,
        response: { 200: described('ids', integers), 404: errorAnswer },
      },
    },
    async (request) =>
      registry.referencedBy(request.params.subject, parseVersion(request.params.version)),
  );

  app.delete<{ Params: VersionParams; Querystring: Query }>(
    '/subjects/:subject/versions/:version',
    {
      config: { access: 'write' },
      schema: {
        summary: 'soft- or permanently delete a version',
        params: ofVersion,
        querystring: permanent,
        response: {
          200: described('the version number', { type: 'integer' }),
          404: errorAnswer,
          422: errorAnswer,
        },
      },
    },
    async (request) =>
      registry.deleteVersion(
        request.params.subject,
        parseVersion(request.params.version),
        flag(request.query, 'permanent'),
      ),
  );
}
