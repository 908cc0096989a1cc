import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes, jsonErrors, recordRoutes, type Readiness } from '@wail/runtime';
import type { TlsFiles } from '@wail/config';
import type { Logger, Registry } from '@wail/telemetry';
import type { Gateway } from './gateway';
import { GatewayAuth } from './http/auth';
import openApi from './http/openapi';
import { gatewayRoutes } from './http/routes';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as `METHOD /path/:param`, for the OpenAPI coverage test. */
    routeList: string[];
  }
}

export interface GatewayHttpDeps {
  logger: Logger;
  readiness: Readiness;
  metrics: Registry;
  gateway: Gateway;
  adminToken: string | undefined;
  heartbeatMs: number;
  /** Serve HTTPS only, with this certificate and key; undefined: HTTP. */
  tls?: TlsFiles | undefined;
}

export async function buildApp(deps: GatewayHttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    https: deps.tls ?? null,
    // An unknown field is refused, not dropped: a typo must not go unnoticed.
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  });
  app.decorate('routeList', recordRoutes(app));
  await app.register(openApi);
  await app.register(jsonErrors);
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  await app.register(gatewayRoutes, {
    gateway: deps.gateway,
    auth: new GatewayAuth(deps.adminToken),
    heartbeatMs: deps.heartbeatMs,
  });
  return app;
}
