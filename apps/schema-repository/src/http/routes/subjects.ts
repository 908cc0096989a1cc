import type { FastifyInstance, FastifySchema } from 'fastify';
import type { SchemaRegistry } from '../../registry/schema-registry';
import { flag, registerRequest, text, type Query } from '../request-values';
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
} from '../route-schemas';
import { versionBody } from './bodies';

interface SubjectParams {
  subject: string;
}

const listSubjects = {
  summary: 'list subjects',
  querystring: queryParams({
    subjectPrefix: { type: 'string' },
    deleted,
    deletedOnly: toggle('only soft-deleted subjects'),
  }),
  response: { 200: described('subjects', strings) },
} satisfies FastifySchema;

const lookUp = {
  summary: 'look up a schema in a subject',
  params: pathParams({ subject }),
  querystring: queryParams({ deleted }),
  body: schemaRequest,
  response: {
    200: described('the version', subjectVersion),
    404: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

const deleteSubject = {
  summary: 'soft-delete (or, after that, permanently delete) a subject',
  params: pathParams({ subject }),
  querystring: queryParams({ permanent: toggle('hard delete') }),
  response: {
    200: described('deleted versions', integers),
    404: errorAnswer,
    422: errorAnswer,
  },
} satisfies FastifySchema;

/** `/subjects` and `/subjects/{subject}`: listing, lookup and deleting subjects. */
export async function subjectRoutes(
  app: FastifyInstance,
  { registry }: { registry: SchemaRegistry },
): Promise<void> {
  app.get<{ Querystring: Query }>('/subjects', { schema: listSubjects }, async (request) =>
    registry.listSubjects({
      prefix: text(request.query, 'subjectPrefix') ?? '',
      deleted: flag(request.query, 'deleted'),
      deletedOnly: flag(request.query, 'deletedOnly'),
    }),
  );

  app.post<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject',
    { schema: lookUp },
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
    { config: { access: 'write' }, schema: deleteSubject },
    async (request) =>
      registry.deleteSubject(request.params.subject, flag(request.query, 'permanent')),
  );
}
