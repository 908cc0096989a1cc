import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes, jsonErrors, type Readiness } from '@wail/runtime';
import type { Logger, Registry } from '@wail/telemetry';

export interface ConsumerHttpDeps {
  logger: Logger;
  readiness: Readiness;
  metrics: Registry;
}

/** The consumer serves no data over HTTP: only health, readiness and metrics. */
export async function buildApp(deps: ConsumerHttpDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger });
  await app.register(jsonErrors);
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  return app;
}
