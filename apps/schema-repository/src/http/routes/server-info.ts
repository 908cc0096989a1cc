import type { FastifyInstance, FastifySchema } from 'fastify';
import { described, strings } from '../route-schemas';

const object = { type: 'object' };

const root = {
  summary: 'root',
  response: { 200: described('{}', object) },
} satisfies FastifySchema;
const contexts = {
  summary: 'contexts (only the default)',
  response: { 200: described('["."]', strings) },
} satisfies FastifySchema;
const clusterId = {
  summary: 'cluster id',
  response: { 200: described('id', object) },
} satisfies FastifySchema;
const serverVersion = {
  summary: 'server version',
  response: { 200: described('version', object) },
} satisfies FastifySchema;

/** The static answers Confluent clients probe: root, contexts, cluster id and version. */
export async function serverInfoRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { config: { access: 'public' }, schema: root }, async () => ({}));
  app.get('/contexts', { schema: contexts }, async () => ['.']);
  app.get('/v1/metadata/id', { schema: clusterId }, async () => ({
    scope: { path: [], clusters: { 'schema-registry-cluster': 'wail' } },
  }));
  app.get('/v1/metadata/version', { schema: serverVersion }, async () => ({
    version: '7.9.0-wail',
    commitId: 'wail',
  }));
}
