import type { TableRoute } from '@wail/contracts';
import type { RepositoryClient, RouteCache } from '@wail/control-plane';
import type { Logger } from '@wail/telemetry';

export interface TableTopic {
  table: string;
  eventTopic: string;
  /** The model's cluster, when it names one. */
  eventCluster: string | undefined;
  modelVersion: number;
}

/**
 * Where each table's events are: the event topic of its latest data model,
 * re-read whenever the route listing shows a new model version. Tables with
 * no model yet have no topic (their subscribers get changes once one exists).
 */
export class TableTopics {
  private readonly topics = new Map<string, TableTopic>();
  private readonly listeners: (() => void)[] = [];
  private updating: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly routes: RouteCache,
    private readonly repository: RepositoryClient,
    private readonly logger: Logger,
  ) {
    routes.onChange((all) => {
      this.updating = this.updating.then(() => this.update(all));
    });
  }

  /** Reads the route listing again now (a table just routed), then settles. */
  async refresh(): Promise<void> {
    await this.routes.refresh().catch(() => undefined);
    await this.settled();
  }

  /** Resolves once the routes known now have been looked at. */
  settled(): Promise<void> {
    this.updating = this.updating.then(() => this.update(this.routes.all()));
    return this.updating;
  }

  get(table: string): TableTopic | undefined {
    return this.topics.get(table);
  }

  /** Whether the repository has a route for the table. */
  routed(table: string): boolean {
    return this.routes.all().has(table);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private retryLater(): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.settled();
    }, 2000);
    this.retry.unref();
  }

  private async update(all: ReadonlyMap<string, TableRoute>): Promise<void> {
    let changed = false;
    for (const table of this.topics.keys())
      if (!all.has(table)) {
        this.topics.delete(table);
        changed = true;
      }
    for (const route of all.values()) {
      const known = this.topics.get(route.table);
      if (route.modelVersion === null || known?.modelVersion === route.modelVersion) continue;
      try {
        const model = await this.repository.model(route.table, route.modelVersion);
        if (!model) continue;
        this.topics.set(route.table, {
          table: route.table,
          eventTopic: model.eventTopic,
          eventCluster: model.eventCluster,
          modelVersion: model.version,
        });
        changed = changed || known?.eventTopic !== model.eventTopic;
      } catch (error) {
        this.logger.warn(
          { table: route.table, err: error },
          'model lookup failed; retrying in 2 s',
        );
        this.retryLater();
      }
    }
    if (changed) for (const listener of this.listeners) listener();
  }
}
