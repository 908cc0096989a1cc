export { applyDefinitions, readDefinitions } from './definitions';
export type { TableDefinition } from './definitions';
export { RepositoryClient, RouteCache, routeTarget } from './routes';
export { sameTopic, topicCollisionKey, topicNameProblem } from './topics';
export type {
  ModelVersion,
  RepositoryClientOptions,
  RouteCacheOptions,
  TableRoute,
} from './routes';
