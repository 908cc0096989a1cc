import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** A per-service Prometheus registry with the default process metrics, labelled with the service. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The `table` label of every table without a route: input naming arbitrary tables cannot create series. */
export const UNKNOWN_TABLE_LABEL = '_unknown';

/** A series per table with a route (`routes`: the route cache's tables); one, `_unknown`, for all the others. */
export function tableLabel(routes: { has(table: string): boolean }, table: string): string {
  return routes.has(table) ? table : UNKNOWN_TABLE_LABEL;
}
