import { routeTarget } from '@wail/contracts';
import { isWailError } from '@wail/errors';
import type { RowStore, StoreKind } from '@wail/store';
import type { Logger } from '@wail/telemetry';
import type { TableRoute } from './table-route';

/**
 * Whether a route fits its physical table, asked of the store when a route is
 * applied: `keyColumns` must be the table's primary key (a delete by part of
 * a key would remove many rows), the key types usable, `wail_ts` present.
 * A store that does not answer in time, or a table that does not exist yet,
 * is no verdict: the route is accepted and every proxy checks again before it
 * serves the table.
 */
export class RouteFit {
  constructor(
    private readonly stores: ReadonlyMap<StoreKind, RowStore>,
    private readonly logger: Logger,
    private readonly timeoutMs = 3000,
  ) {}

  async problems(table: string, route: TableRoute): Promise<string[]> {
    const store = this.stores.get(route.store);
    if (!store) return [];
    const target = routeTarget(route);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.describe(target),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), this.timeoutMs);
        }),
      ]);
      return [];
    } catch (error) {
      if (isWailError(error) && error.code === 'ROUTE_MISMATCH')
        return (error.details?.['problems'] as string[] | undefined) ?? [error.message];
      this.logger.info(
        { table, store: route.store, reason: (error as Error).message },
        'route not checked against its table (the proxies check it before serving)',
      );
      return [];
    } finally {
      clearTimeout(timer);
    }
  }
}
