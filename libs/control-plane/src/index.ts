export { applyDefinitions, readDefinitions } from './definitions';
export type { TableDefinition } from './definitions';
export { RepositoryClient, RouteCache } from './routes';
export type { RepositoryClientOptions, RouteCacheOptions } from './routes';
