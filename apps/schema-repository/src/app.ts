import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes, type Readiness } from '@wail/runtime';
import type { Logger, Registry } from '@wail/telemetry';

export interface RepositoryDeps {
  logger: Logger;
  readiness: Readiness;
  metrics: Registry;
  bodyLimit: number;
}

export async function buildApp(deps: RepositoryDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit,
  });
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  return app;
}
