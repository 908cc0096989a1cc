import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { negotiate } from './content-negotiation';
import { isOpsRequest } from './ops-routes';
import { httpErrors } from './registry-errors';

/**
 * Answers every request but the operational ones in the media type its
 * `Accept` prefers (406 when it accepts none). Registered before the auth
 * plugin: a request that cannot be answered at all gets 406, not 401.
 */
async function negotiation(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    if (isOpsRequest(request.url)) return;
    const type = negotiate(request.headers.accept);
    if (!type) throw httpErrors.notAcceptable();
    reply.header('content-type', type);
  });
}

export default fp(negotiation, { name: 'repository-negotiation', fastify: '5.x' });
