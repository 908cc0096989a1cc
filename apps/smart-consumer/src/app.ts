import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TlsFiles } from '@wail/config';
import { healthRoutes, jsonErrors, type Readiness } from '@wail/runtime';
import type { Logger, Registry } from '@wail/telemetry';

export interface ConsumerHttpDeps {
  logger: Logger;
  readiness: Readiness;
  metrics: Registry;
  /** Serve HTTPS only, with this certificate and key; undefined: HTTP. */
  tls?: TlsFiles | undefined;
}

/** The consumer serves no data over HTTP: only health, readiness and metrics. */
export async function buildApp(deps: ConsumerHttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    https: deps.tls ?? null,
  });
  await app.register(jsonErrors);
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  return app;
}
