import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes, quietRoutes, recordRoutes, type Readiness } from '@wail/runtime';
import type { TlsFiles } from '@wail/config';
import type { Logger, Registry } from '@wail/telemetry';
import type { RepositoryTokens } from './config';
import type { ControlPlane } from './control-plane/control-plane';
import auth from './http/auth';
import bodyParser from './http/body-parser';
import errorHandler, { routerErrors } from './http/error-handler';
import negotiation from './http/negotiation';
import openApi from './http/openapi';
import { backfillRoutes } from './http/routes/backfills';
import { compatibilityRoutes } from './http/routes/compatibility';
import { configRoutes } from './http/routes/config';
import { modeRoutes } from './http/routes/mode';
import { modelRoutes } from './http/routes/models';
import { schemaRoutes } from './http/routes/schemas';
import { serverInfoRoutes } from './http/routes/server-info';
import { subjectRoutes } from './http/routes/subjects';
import { tableRoutes } from './http/routes/tables';
import { versionRoutes } from './http/routes/versions';
import type { SchemaRegistry } from './registry/schema-registry';

declare module 'fastify' {
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
  /** Serve HTTPS only, with this certificate and key; undefined: HTTP. */
  tls?: TlsFiles | undefined;
}

const MAX_PARAM_LENGTH = 1024;

export async function buildApp(deps: RepositoryDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit,
    https: deps.tls ?? null,
    // Subjects may contain '/', sent as %2F: keep it inside the parameter.
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: routerErrors(MAX_PARAM_LENGTH),
  });

  app.decorate('routeList', recordRoutes(app));
  // Before every route: it documents the routes registered after it.
  await app.register(openApi);
  await app.register(bodyParser);
  // Negotiation first: a request that cannot be answered gets 406, not 401.
  await app.register(negotiation);
  await app.register(auth, { tokens: deps.tokens });
  await app.register(errorHandler);

  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  // Lookups by id are the hot path: no per-request log lines at info; the
  // error handler still logs every 5xx.
  await app.register(async (scope) => {
    const { registry, controlPlane } = deps;
    await scope.register(serverInfoRoutes);
    await scope.register(schemaRoutes, { registry });
    await scope.register(subjectRoutes, { registry });
    await scope.register(versionRoutes, { registry });
    await scope.register(compatibilityRoutes, { registry });
    await scope.register(configRoutes, { settings: registry.settings });
    await scope.register(modeRoutes, { settings: registry.settings });
    await scope.register(tableRoutes, { controlPlane });
    await scope.register(modelRoutes, { controlPlane });
    await scope.register(backfillRoutes, { controlPlane });
  }, quietRoutes(app.log));
  return app;
}
