import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes, jsonErrors, type Readiness } from '@wail/runtime';
import type { Logger, Registry } from '@wail/telemetry';

export interface ProxyDeps {
  logger: Logger;
  readiness: Readiness;
  metrics: Registry;
  bodyLimit: number;
}

export async function buildApp(deps: ProxyDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit,
  });
  await app.register(jsonErrors);
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  return app;
}
