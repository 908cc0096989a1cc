export { applyDefinitions, readDefinitions } from './definitions';
export type { TableDefinition } from './definitions';
export { RepositoryClient, RouteCache } from './routes';
export type { RepositoryClientOptions, RouteCacheOptions } from './routes';
// The contracts this client's callers meet in its answers, where they have
// always found them; they are declared in @wail/contracts.
export { routeTarget, sameTopic, topicCollisionKey, topicNameProblem } from '@wail/contracts';
export type { TableRoute } from '@wail/contracts';
