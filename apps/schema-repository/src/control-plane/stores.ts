import type { Pool } from 'mysql2/promise';
import { Stores } from '../storage/stores';
import { BackfillStore } from './backfill-store';
import { ChangeLog } from './change-log';
import { ModelStore } from './model-store';
import { RouteStore } from './route-store';

export interface ControlStores {
  routes: RouteStore;
  models: ModelStore;
  changes: ChangeLog;
  backfills: BackfillStore;
}

export function controlStores(pool: Pool): Stores<ControlStores> {
  return new Stores(pool, (db) => ({
    routes: new RouteStore(db),
    models: new ModelStore(db),
    changes: new ChangeLog(db),
    backfills: new BackfillStore(db),
  }));
}
