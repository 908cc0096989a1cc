import type { DependencyCheck } from '@wail/runtime';
import type { StoreSettings } from '@wail/config';
import type { RowStore, StoreKind } from '@wail/store';
import { CassandraRowStore, type CassandraRowStoreOptions } from '@wail/store-cassandra';
import { MysqlRowStore, type MysqlRowStoreOptions } from '@wail/store-mysql';

/** Per-service adjustments of a store's options, over what the environment says. */
export interface StoreTuning {
  cassandra?: Partial<CassandraRowStoreOptions>;
  mysql?: Partial<MysqlRowStoreOptions>;
}

/**
 * How each kind of store is opened: the one place a new adapter is added.
 * `satisfies` makes a new `StoreKind` without an entry here a type error.
 */
const openers = {
  cassandra: (settings: StoreSettings, tuning: StoreTuning) =>
    new CassandraRowStore({ ...settings.cassandra, ...tuning.cassandra }),
  mysql: (settings: StoreSettings, tuning: StoreTuning) =>
    new MysqlRowStore({ ...settings.mysql, ...tuning.mysql }),
} satisfies Record<StoreKind, (settings: StoreSettings, tuning: StoreTuning) => RowStore>;

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
export function openStores(settings: StoreSettings, tuning: StoreTuning = {}): OpenStores {
  const stores = new ConfiguredStores();
  for (const kind of kinds)
    if (settings.stores.includes(kind)) stores.set(kind, openers[kind](settings, tuning));
  return stores;
}
