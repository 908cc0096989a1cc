export { RepositoryClient, RouteCache } from './routes';
export type {
  ModelVersion,
  RepositoryClientOptions,
  RouteCacheOptions,
  TableRoute,
} from './routes';
