import type { FastifyBaseLogger } from 'fastify';

/**
 * Route options that drop per-request log lines below `warn` on hot or
 * chatty routes. Fastify applies a route's `logLevel` even when it is more
 * verbose than the service's, so a silent service stays silent only if the
 * option is left out.
 */
export function quietRoutes(logger: FastifyBaseLogger): { logLevel?: 'warn' } {
  const levelValue = (logger as FastifyBaseLogger & { levelVal?: number }).levelVal ?? 30;
  return levelValue < 40 ? { logLevel: 'warn' } : {};
}
