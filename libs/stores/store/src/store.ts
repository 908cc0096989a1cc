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

/** A comparison a backfill filter may make. */
export const SCAN_OPERATORS = ['=', '!=', '<', '<=', '>', '>='] as const;
export type ScanOperator = (typeof SCAN_OPERATORS)[number];

/**
 * One condition of a backfill filter, `column op value`; a page keeps the
 * rows every condition holds for. The column must be one of the table's and
 * the value one it could store (converted as a mutation's value is): a bad
 * column or value is BAD_REQUEST before anything is read. `=`/`!=` with
 * `null` mean IS NULL / IS NOT NULL; `!= value` holds for a null column too
 * (null differs from any value: a filtered backfill misses no row), the
 * orders never do.
 */
export interface ScanCondition {
  column: string;
  op: ScanOperator;
  value: JsonValue;
}

/** The most rows a scan page may ask for. */
export const SCAN_PAGE_LIMIT = 10_000;

export interface ScanRequest {
  target: TableRef;
  /** Where the previous page ended (its `cursor`); absent: the start of the table. */
  cursor?: string;
  /** Rows at most in the page (1..SCAN_PAGE_LIMIT); a page may hold fewer and still have a next one. */
  limit: number;
  where?: readonly ScanCondition[];
}

/** A row a scan found: its key (canonical, in route key order) and its version. */
export interface ScannedRow {
  key: KeyColumn[];
  /** The row's `wail_ts` when the page was read. */
  version: bigint;
}

export interface ScanPage {
  rows: ScannedRow[];
  /**
   * Resumes right after this page (pass it as the next request's `cursor`);
   * absent once the table is done. An opaque, printable string of at most
   * 4096 characters, safe to store in a checkpoint; a cursor that is not one
   * the store handed out is BAD_REQUEST.
   */
  cursor: string | undefined;
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
  /**
   * One page of the table's rows that exist now (tombstones are not rows),
   * for a backfill: in primary-key order where the store has one (MySQL,
   * PostgreSQL), token order (Cassandra), cursor order (Redis: a row may
   * appear twice, never be skipped). Rows written while a scan runs may or may
   * not be seen; rows present from its start to its end are seen.
   */
  scan(request: ScanRequest): Promise<ScanPage>;
  /** About how many rows the table holds (the database's statistics, not a count), when it can say cheaply. */
  estimateRows?(target: TableRef): Promise<number | undefined>;
}
