import type { FastifyError, FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import {
  httpErrors,
  knownErrorAnswer,
  storageErrorAnswer,
  type HttpError,
} from './registry-errors';

/**
 * Every error, and every unknown route, answered in the Confluent dialect
 * (`registry-errors.ts`). What is not the repository's own or Fastify's is a
 * storage failure: logged (at error level when it is a 5xx), never quoted.
 */
async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = knownErrorAnswer(error) ?? fastifyError(error);
    if (answer) return reply.code(answer.status).send(answer.toJSON());
    const stored = storageErrorAnswer(error);
    if (stored.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.warn({ err: error }, 'storage refused the request');
    return reply.code(stored.status).send(stored.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const notFound = httpErrors.routeNotFound(request.method, request.url.split('?')[0] ?? '');
    return reply.code(404).send(notFound.toJSON());
  });
}

export default fp(errorHandler, { name: 'repository-error-handler', fastify: '5.x' });

/** The router's own refusals (Fastify's `frameworkErrors` option), in the same dialect. */
export function routerErrors(maxParamLength: number): FastifyServerOptions['frameworkErrors'] {
  return (error, _request, reply) => {
    const mapped =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? httpErrors.uriTooLong(maxParamLength)
        : httpErrors.badRequest('The URL is not valid: a path segment has a malformed %-escape');
    void (reply as FastifyReply).code(mapped.status).send(mapped.toJSON());
  };
}

function fastifyError(error: FastifyError): HttpError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpErrors.unsupportedMediaType();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpErrors.payloadTooLarge();
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return httpErrors.badRequest(error.message);
    default:
      if (error.validation) return httpErrors.unprocessable(error.message);
      return undefined;
  }
}
