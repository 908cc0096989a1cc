export { applyDefinitions, readDefinitions } from './definitions';
export type { TableDefinition } from './definitions';
export { RepositoryClient, RouteCache, routeTarget } from './routes';
export type {
  ModelVersion,
  RepositoryClientOptions,
  RouteCacheOptions,
  TableRoute,
} from './routes';
