import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes, quietRoutes, jsonErrors, recordRoutes, type Readiness } from '@wail/runtime';
import type { TlsFiles } from '@wail/config';
import type { Logger, Registry } from '@wail/telemetry';
import type { MutationService } from './mutations/mutation-service';
import { TableAuthorizer } from './http/auth';
import openApi from './http/openapi';
import { proxyRoutes } from './http/routes';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as `METHOD /path/:param`, for the OpenAPI coverage test. */
    routeList: string[];
  }
}

export interface ProxyDeps {
  logger: Logger;
  readiness: Readiness;
  metrics: Registry;
  mutations: MutationService;
  tokens: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  bodyLimit: number;
  batchLimit: number;
  /** Serve HTTPS only, with this certificate and key; undefined: HTTP. */
  tls?: TlsFiles | undefined;
}

export async function buildApp(deps: ProxyDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit,
    https: deps.tls ?? null,
    ajv: { customOptions: { allErrors: false, coerceTypes: false } },
  });
  app.decorate('routeList', recordRoutes(app));
  // Before every route: it documents the routes registered after it.
  await app.register(openApi);
  await app.register(jsonErrors);
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  // Mutations are the hot path: no per-request log lines at info; errors are logged.
  await app.register(
    async (scope) =>
      proxyRoutes(scope, {
        mutations: deps.mutations,
        authorizer: new TableAuthorizer(deps.tokens),
        batchLimit: deps.batchLimit,
      }),
    quietRoutes(app.log),
  );
  return app;
}
