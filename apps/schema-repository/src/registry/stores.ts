import type { Pool } from 'mysql2/promise';
import { Stores } from '../storage/stores';
import { SchemaStore } from './schema-store';
import { SettingsStore } from './settings-store';

export interface RegistryStores {
  schemas: SchemaStore;
  settings: SettingsStore;
}

export function registryStores(pool: Pool): Stores<RegistryStores> {
  return new Stores(pool, (db) => ({
    schemas: new SchemaStore(db),
    settings: new SettingsStore(db),
  }));
}
