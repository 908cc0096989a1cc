import type { FastifyInstance } from 'fastify';

/**
 * Records every route registered after this call as `METHOD /path/:param`,
 * so a test can compare an app's routes with its OpenAPI document.
 */
export function recordRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  return routes;
}

/** The `METHOD /path/:param` list of an OpenAPI document's operations. */
export function documentedRoutes(paths: Record<string, object>): string[] {
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.keys(operations).map(
      (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
    ),
  );
}
