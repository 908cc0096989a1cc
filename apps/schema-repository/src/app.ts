import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import { healthRoutes, quietRoutes, recordRoutes, type Readiness } from '@wail/runtime';
import type { Logger, Registry } from '@wail/telemetry';
import type { RepositoryTokens } from './config';
import type { ControlPlane } from './control-plane/control-plane';
import { decideAccess, type Access } from './http/access';
import { negotiate, REQUEST_BODY_TYPES } from './http/content-negotiation';
import { confluentRoutes } from './http/confluent-routes';
import { controlPlaneRoutes } from './http/control-plane-routes';
import { openApiDocument } from './http/openapi';
import {
  type HttpError,
  httpErrors as errors,
  knownErrorAnswer,
  storageErrorAnswer,
} from './http/registry-errors';
import type { SchemaRegistry } from './registry/schema-registry';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which token the route needs (see `Access`); a route that says nothing is a `read`. */
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route as `METHOD /path/:param`, for the OpenAPI coverage test. */
    routeList: string[];
  }
}

export interface RepositoryDeps {
  logger: Logger;
  readiness: Readiness;
  metrics: Registry;
  registry: SchemaRegistry;
  controlPlane: ControlPlane;
  bodyLimit: number;
  tokens: RepositoryTokens;
}

const MAX_PARAM_LENGTH = 1024;
const OPS_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);

export async function buildApp(deps: RepositoryDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit,
    // Subjects may contain '/', sent as %2F: keep it inside the parameter.
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: MAX_PARAM_LENGTH },
    // The router's own refusals speak the repository's dialect too.
    frameworkErrors: (error, _request, reply) => {
      const mapped =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? errors.uriTooLong(MAX_PARAM_LENGTH)
          : errors.badRequest('The URL is not valid: a path segment has a malformed %-escape');
      void (reply as FastifyReply).code(mapped.status).send(mapped.toJSON());
    },
  });

  app.decorate('routeList', recordRoutes(app));

  // Every accepted body type is JSON; a body-less request that still carries a
  // JSON content type (the Java and Go clients send one on every GET) is fine.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(REQUEST_BODY_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    const textBody = String(body);
    if (textBody.trim().length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(textBody));
    } catch {
      done(errors.badRequest('Unexpected character in the JSON body: not valid JSON'), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const url = request.url.split('?')[0] ?? '';
    if (OPS_ROUTES.has(url)) return;
    const type = negotiate(request.headers.accept);
    if (!type) throw errors.notAcceptable();
    reply.header('content-type', type);
    const decision = decideAccess(
      request.routeOptions.config.access ?? 'read',
      request.headers.authorization,
      deps.tokens,
    );
    if (decision === 'unauthorized') {
      reply.header('www-authenticate', 'Bearer realm="wail-schema-repository"');
      throw errors.unauthorized();
    }
    if (decision === 'forbidden') throw errors.forbidden();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = knownErrorAnswer(error) ?? fastifyError(error);
    if (mapped) return reply.code(mapped.status).send(mapped.toJSON());
    const answer = storageErrorAnswer(error);
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.warn({ err: error }, 'storage refused the request');
    return reply.code(answer.status).send(answer.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const notFound = errors.routeNotFound(request.method, request.url.split('?')[0] ?? '');
    return reply.code(404).send(notFound.toJSON());
  });

  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  app.get('/openapi.json', async () => openApiDocument);
  // Lookups by id are the hot path: no per-request log lines at info; the
  // error handler still logs every 5xx.
  await app.register(async (scope) => {
    await confluentRoutes(scope, deps.registry);
    await controlPlaneRoutes(scope, deps.controlPlane);
  }, quietRoutes(app.log));
  return app;
}

function fastifyError(error: FastifyError): HttpError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge();
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.badRequest(error.message);
    default:
      if (error.validation) return errors.unprocessable(error.message);
      return undefined;
  }
}
