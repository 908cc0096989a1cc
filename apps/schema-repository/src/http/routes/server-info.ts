import type { FastifyInstance } from 'fastify';
import { described, strings } from '../route-schemas';

/** The static answers Confluent clients probe: root, contexts, cluster id and version. */
export async function serverInfoRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/',
    {
      config: { access: 'public' },
      schema: { summary: 'root', response: { 200: described('{}', { type: 'object' }) } },
    },
    async () => ({}),
  );
  app.get(
    '/contexts',
    {
      schema: {
        summary: 'contexts (only the default)',
        response: { 200: described('["."]', strings) },
      },
    },
    async () => ['.'],
  );
  app.get(
    '/v1/metadata/id',
    { schema: { summary: 'cluster id', response: { 200: described('id', { type: 'object' }) } } },
    async () => ({ scope: { path: [], clusters: { 'schema-registry-cluster': 'wail' } } }),
  );
  app.get(
    '/v1/metadata/version',
    {
      schema: {
        summary: 'server version',
        response: { 200: described('version', { type: 'object' }) },
      },
    },
    async () => ({ version: '7.9.0-wail', commitId: 'wail' }),
  );
}
