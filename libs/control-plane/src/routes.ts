import {
  DEFAULT_CLUSTER,
  type ModelVersionDetail,
  type RouteListing,
  type TableRoute,
} from '@wail/contracts';
import { WailError } from '@wail/errors';
import type { Logger } from 'pino';

export interface RepositoryClientOptions {
  baseUrl: string;
  timeoutMs?: number;
  token?: string;
}

/** A thin HTTP client of the schema repository's control plane. */
export class RepositoryClient {
  constructor(private readonly options: RepositoryClientOptions) {}

  /** `undefined` when the listing has not changed since `etag`. */
  async routes(
    etag?: string,
  ): Promise<{ etag: string; revision: number; routes: TableRoute[] } | undefined> {
    const response = await this.get('/v1/tables', etag ? { 'if-none-match': etag } : {});
    if (response.status === 304) return undefined;
    const body = (await this.json(response)) as RouteListing;
    return {
      etag: response.headers.get('etag') ?? `"${body.revision}"`,
      revision: body.revision,
      // A repository older than clusters names none: its routes log to the default one.
      routes: body.tables.map((route) => ({
        ...route,
        intentCluster: route.intentCluster ?? DEFAULT_CLUSTER,
      })),
    };
  }

  async model(table: string, version: number | 'latest'): Promise<ModelVersionDetail | undefined> {
    const response = await this.get(`/v1/models/${encodeURIComponent(table)}/versions/${version}`);
    if (response.status === 404) return undefined;
    return (await this.json(response)) as ModelVersionDetail;
  }

  async schemaById(id: number): Promise<string> {
    const body = (await this.json(await this.get(`/schemas/ids/${id}`))) as { schema: string };
    return body.schema;
  }

  private async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    try {
      return await fetch(`${this.options.baseUrl}${path}`, {
        headers: {
          accept: 'application/json',
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
          ...headers,
        },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
      });
    } catch (error) {
      throw new WailError(
        'REPOSITORY_UNAVAILABLE',
        `schema repository did not answer ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  private async json(response: Response): Promise<unknown> {
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new WailError(
        'REPOSITORY_UNAVAILABLE',
        `schema repository answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    return response.json();
  }
}

export interface RouteCacheOptions {
  client: RepositoryClient;
  logger: Logger;
  /** How often the listing is polled (a 304 costs almost nothing). */
  refreshMs?: number;
  /** An unknown table triggers at most one extra poll in this interval. */
  missRefreshMs?: number;
}

/**
 * The routes of every table, kept current by polling the repository with its
 * revision as ETag. When the repository is down the last known routes keep
 * serving; an unknown table triggers a prompt refresh so a new table works
 * without a restart.
 */
export class RouteCache {
  private routes = new Map<string, TableRoute>();
  private etag: string | undefined;
  private revisionSeen = -1;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastMissRefresh = 0;
  private loaded = false;
  private failing = false;
  private readonly listeners: ((routes: ReadonlyMap<string, TableRoute>) => void)[] = [];

  constructor(private readonly options: RouteCacheOptions) {}

  /** Loads once (not failing when the repository is down), then polls in the background. */
  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.refresh()
          .catch(() => undefined)
          .finally(tick);
      }, this.options.refreshMs ?? 1000);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  get revision(): number {
    return this.revisionSeen;
  }

  all(): ReadonlyMap<string, TableRoute> {
    return this.routes;
  }

  onChange(listener: (routes: ReadonlyMap<string, TableRoute>) => void): void {
    this.listeners.push(listener);
  }

  /** The route of a table, refreshing once if it is unknown; `undefined` if it still is. */
  async get(table: string): Promise<TableRoute | undefined> {
    const known = this.routes.get(table);
    if (known) return known;
    const now = Date.now();
    if (now - this.lastMissRefresh >= (this.options.missRefreshMs ?? 250)) {
      this.lastMissRefresh = now;
      await this.refresh().catch(() => undefined);
    } else if (this.refreshing) {
      await this.refreshing.catch(() => undefined);
    }
    return this.routes.get(table);
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      const listing = await this.options.client.routes(this.etag);
      this.loaded = true;
      if (this.failing) this.options.logger.info('schema repository answers again');
      this.failing = false;
      if (!listing) return;
      this.etag = listing.etag;
      this.revisionSeen = listing.revision;
      this.routes = new Map(listing.routes.map((route) => [route.table, route]));
      this.options.logger.info(
        { revision: listing.revision, tables: listing.routes.length },
        'routes loaded',
      );
      for (const listener of this.listeners) listener(this.routes);
    } catch (error) {
      // Once per outage at warn; the repeats at debug.
      const level = this.failing ? 'debug' : 'warn';
      this.failing = true;
      this.options.logger[level](
        { error: (error as Error).message },
        'routes refresh failed; keeping the last known routes',
      );
      throw error;
    }
  }
}
