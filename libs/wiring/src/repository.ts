import { RepositoryClient, RouteCache } from '@wail/control-plane';
import type { Logger } from '@wail/telemetry';
import type { RepositorySettings } from './data-plane-config';

export interface RepositoryConnection {
  /** Routes and models, read with the read token. */
  client: RepositoryClient;
  /** Every table's route, polled; not started: a caller registers its listeners first. */
  routes: RouteCache;
}

export function connectRepository(
  settings: RepositorySettings,
  logger: Logger,
): RepositoryConnection {
  const client = new RepositoryClient({
    baseUrl: settings.url,
    ...(settings.token ? { token: settings.token } : {}),
  });
  const routes = new RouteCache({
    client,
    logger: logger.child({ component: 'routes' }),
    refreshMs: settings.refreshMs,
  });
  return { client, routes };
}
