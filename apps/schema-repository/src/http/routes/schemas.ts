import type { FastifyInstance, FastifySchema } from 'fastify';
import type { SchemaRegistry } from '../../registry/schema-registry';
import { flag, parseId, text, type Query } from '../request-values';
import {
  deleted,
  described,
  errorAnswer,
  id,
  pathParams,
  queryParams,
  strings,
  subjectVersion,
  toggle,
} from '../route-schemas';
import { schemaBody, versionBody } from './bodies';

interface IdParams {
  id: string;
}

const byId = pathParams({ id });

const schemaTypes = {
  summary: 'supported schema types',
  response: { 200: described('["AVRO"]', strings) },
} satisfies FastifySchema;

const listSchemas = {
  summary: 'list schemas',
  querystring: queryParams({
    subjectPrefix: { type: 'string', description: 'only subjects starting with this' },
    deleted,
    latestOnly: toggle('latest version per subject'),
    offset: { type: 'integer' },
    limit: { type: 'integer' },
  }),
  response: { 200: described('subject versions', { type: 'array', items: subjectVersion }) },
} satisfies FastifySchema;

const schemaById = {
  summary: 'a schema by global id',
  params: byId,
  response: { 200: described('{"schema": "…"}', { type: 'object' }), 404: errorAnswer },
} satisfies FastifySchema;

const rawSchemaById = {
  summary: 'the raw schema by id',
  params: byId,
  response: { 200: described('the schema JSON'), 404: errorAnswer },
} satisfies FastifySchema;

const subjectsOfId = {
  summary: 'subjects using this id',
  params: byId,
  querystring: queryParams({ deleted }),
  response: { 200: described('subjects', strings), 404: errorAnswer },
} satisfies FastifySchema;

const versionsOfId = {
  summary: 'subject versions using this id',
  params: byId,
  querystring: queryParams({ deleted }),
  response: {
    200: described('[{subject, version}]', {
      type: 'array',
      items: {
        type: 'object',
        properties: { subject: { type: 'string' }, version: { type: 'integer' } },
      },
    }),
    404: errorAnswer,
  },
} satisfies FastifySchema;

/**
 * `/schemas`: every schema, and each one by its global id. The reads by id
 * are public: every Confluent deserializer makes them.
 */
export async function schemaRoutes(
  app: FastifyInstance,
  { registry }: { registry: SchemaRegistry },
): Promise<void> {
  app.get('/schemas/types', { config: { access: 'public' }, schema: schemaTypes }, async () => [
    'AVRO',
  ]);

  app.get<{ Querystring: Query }>('/schemas', { schema: listSchemas }, async (request) => {
    const all = await registry.listSchemas({
      prefix: text(request.query, 'subjectPrefix') ?? '',
      deleted: flag(request.query, 'deleted'),
      latestOnly: flag(request.query, 'latestOnly'),
    });
    return page(all.map(versionBody), request.query);
  });

  app.get<{ Params: IdParams }>(
    '/schemas/ids/:id',
    { config: { access: 'public' }, schema: schemaById },
    async (request) => schemaBody(await registry.schemaById(parseId(request.params.id))),
  );

  app.get<{ Params: IdParams }>(
    '/schemas/ids/:id/schema',
    { config: { access: 'public' }, schema: rawSchemaById },
    async (request, reply) => {
      const stored = await registry.schemaById(parseId(request.params.id));
      return reply.send(JSON.parse(stored.schema));
    },
  );

  app.get<{ Params: IdParams; Querystring: Query }>(
    '/schemas/ids/:id/subjects',
    { schema: subjectsOfId },
    async (request) => {
      const pairs = await registry.subjectVersionsForId(
        parseId(request.params.id),
        flag(request.query, 'deleted'),
      );
      return [...new Set(pairs.map((pair) => pair.subject))];
    },
  );

  app.get<{ Params: IdParams; Querystring: Query }>(
    '/schemas/ids/:id/versions',
    { schema: versionsOfId },
    async (request) =>
      registry.subjectVersionsForId(parseId(request.params.id), flag(request.query, 'deleted')),
  );
}

/** `offset`/`limit` paging for list endpoints; absent or invalid values mean "everything". */
function page<T>(items: T[], query: Query): T[] {
  const offset = Math.max(0, Number(text(query, 'offset') ?? 0) || 0);
  const limit = Number(text(query, 'limit') ?? -1);
  return limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
}
