export { Readiness } from './readiness';
export type { CheckResult, DependencyCheck, ReadinessOptions, ReadinessReport } from './readiness';
export { default as healthRoutes } from './health-routes';
export type { HealthRoutesOptions } from './health-routes';
export { default as jsonErrors, toErrorBody } from './json-errors';
export type { ErrorBody } from './json-errors';
export { runService } from './lifecycle';
export { documentedRoutes, recordRoutes } from './route-list';
export type { RunningService, ServiceDefinition } from './lifecycle';
