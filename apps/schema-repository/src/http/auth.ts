import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RepositoryTokens } from '../config';
import { decideAccess, type Access } from './access';
import { isOpsRequest } from './ops-routes';
import { httpErrors } from './registry-errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which token the route needs (see `Access`); a route that says nothing is a `read`. */
    access?: Access;
  }
}

export interface AuthOptions {
  tokens: RepositoryTokens;
}

/**
 * Checks the bearer token each route's `access` asks for, before the body is
 * read: 401 (with a `WWW-Authenticate` challenge) without a token that may
 * call it, 403 for the read token on a write. An unknown route is a `read`.
 */
async function auth(app: FastifyInstance, { tokens }: AuthOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    if (isOpsRequest(request.url)) return;
    const decision = decideAccess(
      request.routeOptions.config.access ?? 'read',
      request.headers.authorization,
      tokens,
    );
    if (decision === 'unauthorized') {
      reply.header('www-authenticate', 'Bearer realm="wail-schema-repository"');
      throw httpErrors.unauthorized();
    }
    if (decision === 'forbidden') throw httpErrors.forbidden();
  });
}

export default fp(auth, { name: 'repository-auth', fastify: '5.x' });
