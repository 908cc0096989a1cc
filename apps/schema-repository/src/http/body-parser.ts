import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_BODY_TYPES } from './content-negotiation';
import { httpErrors } from './registry-errors';

/**
 * Every accepted body type is JSON; a body-less request that still carries a
 * JSON content type (the Java and Go clients send one on every GET) is fine.
 * Any other type answers 415.
 */
async function bodyParser(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(REQUEST_BODY_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    const textBody = String(body);
    if (textBody.trim().length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(textBody));
    } catch {
      done(
        httpErrors.badRequest('Unexpected character in the JSON body: not valid JSON'),
        undefined,
      );
    }
  });
}

export default fp(bodyParser, { name: 'repository-body-parser', fastify: '5.x' });
