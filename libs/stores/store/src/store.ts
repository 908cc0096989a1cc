/** What every store adapter offers the services, whatever the database. */
export interface StoreConnection {
  /** `cassandra` or `mysql`: the value of a route's `store` field. */
  readonly kind: StoreKind;
  /** Resolves when the database answers a trivial query. Used by readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StoreKind = 'cassandra' | 'mysql';
