import type { FastifyInstance } from 'fastify';
import type { SchemaRegistry } from '../registry/schema-registry';
import type { StoredSchema, SubjectVersion } from '../registry/types';
import {
  flag,
  parseId,
  parseVersion,
  registerRequest,
  requiredString,
  text,
  type Query,
} from './request-values';

interface SubjectParams {
  subject: string;
}
interface VersionParams extends SubjectParams {
  version: string;
}
interface IdParams {
  id: string;
}

/** Pre-8.0 shapes: `schemaType` omitted for Avro, `references` only when there are some. */
function schemaBody(schema: StoredSchema): Record<string, unknown> {
  return schema.references.length > 0
    ? { schema: schema.schema, references: schema.references }
    : { schema: schema.schema };
}

function versionBody(version: SubjectVersion): Record<string, unknown> {
  return {
    subject: version.subject,
    version: version.version,
    id: version.id,
    ...schemaBody(version),
  };
}

/**
 * The Confluent Schema Registry REST API (Avro). Each route's `access` says
 * which token it needs (see `Access`): schemas by id are public, as every
 * Confluent deserializer needs them; compatibility tests need a token.
 */
export async function confluentRoutes(
  app: FastifyInstance,
  registry: SchemaRegistry,
): Promise<void> {
  const write = { config: { access: 'write' as const } };
  const open = { config: { access: 'public' as const } };
  const check = { config: { access: 'check' as const } };

  app.get('/', open, async () => ({}));
  app.get('/schemas/types', open, async () => ['AVRO']);

  app.get<{ Querystring: Query }>('/schemas', async (request) => {
    const all = await registry.listSchemas({
      prefix: text(request.query, 'subjectPrefix') ?? '',
      deleted: flag(request.query, 'deleted'),
      latestOnly: flag(request.query, 'latestOnly'),
    });
    return page(all.map(versionBody), request.query);
  });

  app.get<{ Params: IdParams }>('/schemas/ids/:id', open, async (request) =>
    schemaBody(await registry.schemaById(parseId(request.params.id))),
  );

  app.get<{ Params: IdParams }>('/schemas/ids/:id/schema', open, async (request, reply) => {
    const stored = await registry.schemaById(parseId(request.params.id));
    return reply.send(JSON.parse(stored.schema));
  });

  app.get<{ Params: IdParams; Querystring: Query }>(
    '/schemas/ids/:id/subjects',
    async (request) => {
      const pairs = await registry.subjectVersionsForId(
        parseId(request.params.id),
        flag(request.query, 'deleted'),
      );
      return [...new Set(pairs.map((pair) => pair.subject))];
    },
  );

  app.get<{ Params: IdParams; Querystring: Query }>('/schemas/ids/:id/versions', async (request) =>
    registry.subjectVersionsForId(parseId(request.params.id), flag(request.query, 'deleted')),
  );

  app.get<{ Querystring: Query }>('/subjects', async (request) =>
    registry.listSubjects({
      prefix: text(request.query, 'subjectPrefix') ?? '',
      deleted: flag(request.query, 'deleted'),
      deletedOnly: flag(request.query, 'deletedOnly'),
    }),
  );

  app.post<{ Params: SubjectParams; Querystring: Query }>('/subjects/:subject', async (request) =>
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
    write,
    async (request) =>
      registry.deleteSubject(request.params.subject, flag(request.query, 'permanent')),
  );

  app.get<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject/versions',
    async (request) =>
      registry.listVersions(request.params.subject, {
        deleted: flag(request.query, 'deleted'),
        deletedOnly: flag(request.query, 'deletedOnly'),
      }),
  );

  app.post<{ Params: SubjectParams; Querystring: Query }>(
    '/subjects/:subject/versions',
    write,
    async (request) => {
      const { id } = await registry.register(
        request.params.subject,
        registerRequest(request.body, registry.bounds),
        {
          force: flag(request.query, 'force'),
        },
      );
      return { id };
    },
  );

  app.get<{ Params: VersionParams; Querystring: Query }>(
    '/subjects/:subject/versions/:version',
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
    async (request, reply) => {
      const version = await registry.getVersion(
        request.params.subject,
        parseVersion(request.params.version),
        flag(request.query, 'deleted'),
      );
      return reply.send(JSON.parse(version.schema));
    },
  );

  app.get<{ Params: VersionParams }>(
    '/subjects/:subject/versions/:version/referencedby',
    async (request) =>
      registry.referencedBy(request.params.subject, parseVersion(request.params.version)),
  );

  app.delete<{ Params: VersionParams; Querystring: Query }>(
    '/subjects/:subject/versions/:version',
    write,
    async (request) =>
      registry.deleteVersion(
        request.params.subject,
        parseVersion(request.params.version),
        flag(request.query, 'permanent'),
      ),
  );

  app.post<{ Params: VersionParams; Querystring: Query }>(
    '/compatibility/subjects/:subject/versions/:version',
    check,
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
    check,
    async (request) =>
      registry.testCompatibility(
        request.params.subject,
        undefined,
        registerRequest(request.body, registry.bounds),
        flag(request.query, 'verbose'),
      ),
  );

  app.get('/config', async () => ({
    compatibilityLevel: await registry.settings.getCompatibility(undefined, true),
  }));
  app.put('/config', write, async (request) => ({
    compatibility: await registry.settings.setCompatibility(
      undefined,
      requiredString(request.body, 'compatibility'),
    ),
  }));
  app.delete('/config', write, async () => ({
    compatibilityLevel: await registry.settings.deleteCompatibility(undefined),
  }));

  app.get<{ Params: SubjectParams; Querystring: Query }>('/config/:subject', async (request) => ({
    compatibilityLevel: await registry.settings.getCompatibility(
      request.params.subject,
      flag(request.query, 'defaultToGlobal'),
    ),
  }));
  app.put<{ Params: SubjectParams }>('/config/:subject', write, async (request) => ({
    compatibility: await registry.settings.setCompatibility(
      request.params.subject,
      requiredString(request.body, 'compatibility'),
    ),
  }));
  app.delete<{ Params: SubjectParams }>('/config/:subject', write, async (request) => ({
    compatibilityLevel: await registry.settings.deleteCompatibility(request.params.subject),
  }));

  app.get('/mode', async () => ({ mode: await registry.settings.getMode(undefined, true) }));
  app.put<{ Querystring: Query }>('/mode', write, async (request) => ({
    mode: await registry.settings.setMode(
      undefined,
      requiredString(request.body, 'mode'),
      flag(request.query, 'force'),
    ),
  }));
  app.get<{ Params: SubjectParams; Querystring: Query }>('/mode/:subject', async (request) => ({
    mode: await registry.settings.getMode(
      request.params.subject,
      flag(request.query, 'defaultToGlobal'),
    ),
  }));
  app.put<{ Params: SubjectParams; Querystring: Query }>(
    '/mode/:subject',
    write,
    async (request) => ({
      mode: await registry.settings.setMode(
        request.params.subject,
        requiredString(request.body, 'mode'),
        flag(request.query, 'force'),
      ),
    }),
  );
  app.delete<{ Params: SubjectParams }>('/mode/:subject', write, async (request) => ({
    mode: await registry.settings.deleteMode(request.params.subject),
  }));

  app.get('/contexts', async () => ['.']);
  app.get('/v1/metadata/id', async () => ({
    scope: { path: [], clusters: { 'schema-registry-cluster': 'wail' } },
  }));
  app.get('/v1/metadata/version', async () => ({ version: '7.9.0-wail', commitId: 'wail' }));
}

/** `offset`/`limit` paging for list endpoints; absent or invalid values mean "everything". */
function page<T>(items: T[], query: Query): T[] {
  const offset = Math.max(0, Number(text(query, 'offset') ?? 0) || 0);
  const limit = Number(text(query, 'limit') ?? -1);
  return limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
}
