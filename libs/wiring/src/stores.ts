import type { RepositoryClient } from '@wail/control-plane';
import type { DependencyCheck } from '@wail/runtime';
import type { StoreSettings } from '@wail/config';
import type { RowStore, StoreKind } from '@wail/store';
import { CassandraRowStore, type CassandraRowStoreOptions } from '@wail/store-cassandra';
import { MysqlRowStore, type MysqlRowStoreOptions } from '@wail/store-mysql';
import { PostgresRowStore, type PostgresRowStoreOptions } from '@wail/store-postgres';
import { RedisRowStore, type RedisRowStoreOptions } from '@wail/store-redis';

/** Per-service adjustments of a store's options, over what the environment says. */
export interface StoreTuning {
  cassandra?: Partial<CassandraRowStoreOptions>;
  mysql?: Partial<MysqlRowStoreOptions>;
  postgres?: Partial<PostgresRowStoreOptions>;
  redis?: Partial<Omit<RedisRowStoreOptions, 'modelSchema'>>;
}

/**
 * A table's latest data model (its Avro record), or undefined when it has
 * none: what a store without a catalog (Redis) knows its columns from.
 */
export type ModelSchemas = (table: string) => Promise<Record<string, unknown> | undefined>;

/** What the stores need from the rest of the service. */
export interface StoreContext {
  tuning?: StoreTuning;
  /** The repository's models (proxies and consumers: over HTTP; the repository: its own). */
  models: ModelSchemas;
}

/**
 * How each kind of store is opened: the one place a new adapter is added.
 * `satisfies` makes a new `StoreKind` without an entry here a type error.
 */
const openers = {
  cassandra: (settings, { tuning = {} }) =>
    new CassandraRowStore({ ...settings.cassandra, ...tuning.cassandra }),
  mysql: (settings, { tuning = {} }) => new MysqlRowStore({ ...settings.mysql, ...tuning.mysql }),
  postgres: (settings, { tuning = {} }) =>
    new PostgresRowStore({
      ...settings.postgres,
      // Deletes of absent keys: the same guard as MySQL's.
      tombstoneGuardMs: settings.mysql.tombstoneGuardMs,
      ...tuning.postgres,
    }),
  redis: (settings, { tuning = {}, models }) =>
    new RedisRowStore({ ...settings.redis, ...tuning.redis, modelSchema: models }),
} satisfies Record<StoreKind, (settings: StoreSettings, context: StoreContext) => RowStore>;

const kinds = Object.keys(openers) as StoreKind[];

/** The configured stores by kind (a route naming another kind finds none), with their checks. */
export interface OpenStores extends ReadonlyMap<StoreKind, RowStore> {
  /** One readiness check per store, named by its kind (`/readyz` shows `mysql`, `cassandra`). */
  readonly checks: readonly DependencyCheck[];
  /** Closes every store; rejects if one fails to close, after all were asked to. */
  close(): Promise<void>;
}

class ConfiguredStores extends Map<StoreKind, RowStore> implements OpenStores {
  get checks(): DependencyCheck[] {
    return [...this].map(([kind, store]) => ({ name: kind, check: () => store.ping() }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.values()].map((store) => store.close()));
  }
}

/** Opens the stores listed in the settings (`WAIL_STORES`); drivers connect on first use. */
export function openStores(settings: StoreSettings, context: StoreContext): OpenStores {
  const stores = new ConfiguredStores();
  for (const kind of kinds)
    if (settings.stores.includes(kind)) stores.set(kind, openers[kind](settings, context));
  return stores;
}

/** A table's latest model schema from the repository, over HTTP. */
export function repositoryModels(client: RepositoryClient): ModelSchemas {
  return async (table) => (await client.model(table, 'latest'))?.schema;
}
