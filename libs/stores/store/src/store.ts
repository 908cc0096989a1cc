import type { RouteStore } from '@wail/contracts';
import type { KeyColumn } from '@wail/intent';

/** A store kind: the stores a route may name (`STORE_KINDS` of @wail/contracts). */
export type StoreKind = RouteStore;

/** A JSON value as it arrives in a mutation body. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A column value as the stores hand it back, the same whatever the database:
 * integers that may exceed 2^53 as `bigint`; decimals, uuids, dates (`YYYY-MM-DD`)
 * and timestamps (ISO 8601, UTC, microseconds) as strings; binary as `Buffer`.
 */
export type StoredValue = null | boolean | number | bigint | string | Buffer;

/** Where a logical table lives: from its route, never from a request. */
export interface TableRef {
  store: StoreKind;
  /** Keyspace (Cassandra), database (MySQL, PostgreSQL) or key prefix (Redis). */
  namespace: string;
  /** PostgreSQL: the schema within the database (`public` by default). */
  schema?: string;
  /** The physical table (Redis: the logical table, whose data model gives the columns). */
  table: string;
  keyColumns: readonly string[];
}

export interface WriteRequest {
  target: TableRef;
  op: 'upsert' | 'delete';
  key: readonly KeyColumn[];
  /** Columns to set (upserts only); columns not named are left as they are. */
  values: Readonly<Record<string, JsonValue>>;
  /** The intent's timestamp: the row's `wail_ts` and, for Cassandra, the write timestamp. */
  ts: bigint;
}

export interface PreparedWrite {
  readonly request: WriteRequest;
  /**
   * The canonical key (see `canonicalKeyColumns`): integer columns as bigint
   * whether the client sent 7 or "7", so one row has one key in the intent,
   * its tombstone, the read and the event.
   */
  readonly key: readonly KeyColumn[];
  /**
   * Writes the mutation stamped with `request.ts`, last-writer-wins: an older
   * `ts` never overwrites a newer write or resurrects a newer delete.
   */
  execute(): Promise<void>;
}

export type ReadResult =
  | { state: 'present'; row: Record<string, StoredValue>; wailTs: bigint }
  /** No row. `deletedTs` is the newest delete's timestamp when one is recorded. */
  | { state: 'absent'; deletedTs: bigint | undefined };

/**
 * `fast`: the cheapest read that may lag (Cassandra LOCAL_ONE, a MySQL replica).
 * `strong`: sees every acknowledged write (LOCAL_QUORUM, the MySQL primary).
 */
export type ReadConsistency = 'fast' | 'strong';

export interface ColumnInfo {
  name: string;
  /** The database's own type name, lower case: `bigint`, `varchar`, `text`, `uuid`, … */
  type: string;
  nullable: boolean;
  /** Whether an INSERT may leave the column out (nullable, a default, auto-increment or generated). */
  optional: boolean;
  /** Position in the primary key (0-based; Cassandra: partition columns, then clustering columns). */
  keyPosition?: number;
  /** Cassandra: the column is part of the partition key. */
  partitionKey?: boolean;
  /** MySQL: the primary key indexes only a prefix of the column (`PRIMARY KEY (c(10))`). */
  keyPrefixOnly?: boolean;
  /** The longest value the column holds: characters for text, bytes for binary. */
  maxLength?: number;
  /** MySQL: a text column's collation. */
  collation?: string;
  /** MySQL: a text column's character set. */
  charset?: string;
  /** Fractional second digits a timestamp column keeps (MySQL DATETIME(n), Cassandra 3). */
  fractionalDigits?: number;
  /** MySQL: an UNSIGNED integer column. */
  unsigned?: boolean;
  /** MySQL: the column is part of a unique index other than the primary key. */
  otherUniqueKey?: boolean;
}

/** What every store adapter offers the services, whatever the database. */
export interface StoreConnection {
  readonly kind: StoreKind;
  /** Resolves when the database answers a trivial query. Used by readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RowStore extends StoreConnection {
  /** The physical table's columns, cached; fails with UNKNOWN_TABLE-like errors when it does not exist. */
  describe(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>>;
  /**
   * Validates and converts a mutation against the physical table (unknown
   * columns and wrong value types fail here, with BAD_REQUEST) without
   * touching the row. The proxy prepares, then logs the intent, then executes.
   */
  prepareWrite(request: WriteRequest): Promise<PreparedWrite>;
  /** `prepareWrite` then `execute`. */
  write(request: WriteRequest): Promise<void>;
  /**
   * Executes prepared writes in as few round trips as the store allows (MySQL
   * folds upserts of one table and column set into one statement). One
   * result per write, in order: undefined when it succeeded, its error when not.
   */
  executeMany(writes: readonly PreparedWrite[]): Promise<(Error | undefined)[]>;
  read(
    target: TableRef,
    key: readonly KeyColumn[],
    consistency: ReadConsistency,
  ): Promise<ReadResult>;
}
