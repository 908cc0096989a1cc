import { errors as driverErrors, types } from 'cassandra-driver';
import { WailError, isWailError } from '@wail/errors';
import type { KeyColumn, KeyScalar } from '@wail/intent';
import {
  ColumnCache,
  TurnBatcher,
  canonicalKeyColumns,
  inKeyOrder,
  checkedColumns,
  tombstoneKey,
  type ColumnInfo,
  type PreparedWrite,
  type ReadConsistency,
  type ReadResult,
  type RowStore,
  type ScannedRow,
  type ScanPage,
  type ScanRequest,
  type StoredValue,
  type TableRef,
  type WriteRequest,
} from '@wail/store';
import { CassandraConnection, type CassandraOptions } from './cassandra-connection';
import { translateCassandraError } from './cassandra-errors';
import {
  checkedConditions,
  checkedLimit,
  cursorFromPageState,
  holds,
  pageStateFromCursor,
} from './cassandra-scan';
import { cqlTypeName, fromCassandraValue, toCassandraParameter } from './cassandra-values';

const quote = (identifier: string) => `"${identifier}"`;
const { consistencies } = types;
const levelOf = (consistency: ReadConsistency) =>
  consistency === 'fast' ? consistencies.localOne : consistencies.localQuorum;

/**
 * Key column types whose driver values have one text form per key (numbers,
 * bigints, strings, Uuid objects, Buffers): a batched read matches its rows
 * to their keys by it. Others (timestamp, decimal, double…) are read alone.
 */
const BATCHED_KEY_TYPES: ReadonlySet<string> = new Set([
  'ascii',
  'text',
  'int',
  'smallint',
  'tinyint',
  'bigint',
  'varint',
  'uuid',
  'timeuuid',
  'blob',
]);

/** A read waiting for its turn's statement: its key, and the key's bound parameter. */
interface BatchedRead {
  key: readonly KeyColumn[];
  param: unknown;
}

/** A key value's text form, tagged with its kind so a string never equals a number or bytes. */
function keyForm(value: unknown): string {
  return Buffer.isBuffer(value)
    ? `bytes:${value.toString('hex')}`
    : `${typeof value}:${String(value)}`;
}

export interface CassandraRowStoreOptions extends CassandraOptions {
  /** How long a table's column list is trusted before it is read again. */
  describeTtlMs?: number;
  /** `wail_tombstones` entries expire after this long (a TTL; default 24 h). */
  tombstoneRetentionMs?: number;
}

/**
 * Cassandra behind the store interface. Cassandra's own timestamps give
 * last-writer-wins: every write carries `USING TIMESTAMP <intent ts>`, so an
 * older write never shadows a newer one, and a row tombstone hides older
 * writes that arrive late.
 *
 * - upsert: `INSERT … (keys, columns, wail_ts) USING TIMESTAMP ts` — only the
 *   named columns are written, so a partial update is a partial INSERT.
 * - delete: a logged batch of the row `DELETE … USING TIMESTAMP ts` and a
 *   `wail_tombstones` entry at the same timestamp, so readers learn when the
 *   row went (the consumer's verification needs it).
 *
 * `fast` reads are LOCAL_ONE, `strong` reads LOCAL_QUORUM.
 */
export class CassandraRowStore implements RowStore {
  readonly kind = 'cassandra' as const;
  private readonly connection: CassandraConnection;
  private readonly columns: ColumnCache;
  private readonly tombstoneTables = new Map<string, Promise<void>>();
  private readonly tombstoneTtl: number;
  /** Reads of one turn share a statement per table and consistency (`readMany`). */
  private readonly reads = new TurnBatcher<BatchedRead, ReadResult>(100);

  constructor(options: CassandraRowStoreOptions) {
    this.connection = new CassandraConnection(options);
    this.tombstoneTtl = Math.max(
      1,
      Math.round((options.tombstoneRetentionMs ?? 86_400_000) / 1000),
    );
    this.columns = new ColumnCache(
      'Cassandra',
      (target) => this.loadColumns(target),
      options.describeTtlMs,
    );
  }

  get client() {
    return this.connection.client;
  }

  ping(): Promise<void> {
    return this.connection.ping();
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  describe(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>> {
    return this.columns.get(target);
  }

  /**
   * From system_schema, not the driver's metadata cache: a keyspace or table
   * created after this client connected is known at once, as the route check
   * needs. Columns come in system_schema's (name) order.
   */
  private async loadColumns(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>> {
    let rows: types.Row[];
    try {
      const result = await this.client.execute(
        'SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
        [target.namespace, target.table],
        { prepare: true, consistency: consistencies.localOne },
      );
      rows = result.rows;
    } catch (error) {
      throw translateCassandraError(error);
    }
    if (rows.length === 0)
      throw new WailError(
        'DATABASE_REJECTED',
        `Cassandra table ${target.namespace}.${target.table} does not exist`,
      );
    const keyRank = (row: types.Row) =>
      row.get('kind') === 'partition_key' ? 0 : row.get('kind') === 'clustering' ? 1 : 2;
    const primaryKey = rows
      .filter((row) => keyRank(row) < 2)
      .sort(
        (a, b) => keyRank(a) - keyRank(b) || Number(a.get('position')) - Number(b.get('position')),
      )
      .map((row) => String(row.get('column_name')));
    const columns = new Map<string, ColumnInfo>(
      rows.map((row) => {
        const name = String(row.get('column_name'));
        const type = cqlTypeName(String(row.get('type')));
        const position = primaryKey.indexOf(name);
        const info: ColumnInfo = {
          name,
          type,
          nullable: true,
          optional: true,
          ...(position >= 0 ? { keyPosition: position } : {}),
          ...(row.get('kind') === 'partition_key' ? { partitionKey: true } : {}),
          // Cassandra timestamps are milliseconds.
          ...(type === 'timestamp' ? { fractionalDigits: 3 } : {}),
        };
        return [name, info];
      }),
    );
    return columns;
  }

  async write(request: WriteRequest): Promise<void> {
    await (await this.prepareWrite(request)).execute();
  }

  /** The driver pipelines requests on its connections: concurrency is the batching. */
  executeMany(writes: readonly PreparedWrite[]): Promise<(Error | undefined)[]> {
    return Promise.all(
      writes.map((write) =>
        write.execute().then(
          () => undefined,
          (error: unknown) => error as Error,
        ),
      ),
    );
  }

  async prepareWrite(request: WriteRequest): Promise<PreparedWrite> {
    const { target, ts } = request;
    const columns = await this.describe(target);
    const key = canonicalKeyColumns(target, columns, request.key);
    const keyParams = key.map(({ name, value }) => keyParameter(columns, name, value));
    const table = `${quote(target.namespace)}.${quote(target.table)}`;

    if (request.op === 'upsert') {
      const setColumns = checkedColumns(target, columns, request.values, key, () =>
        this.columns.forget(target),
      );
      const values = setColumns.map((name) =>
        toCassandraParameter(columns.get(name)!, request.values[name]!),
      );
      const names = [...target.keyColumns, ...setColumns, 'wail_ts'];
      const query = `INSERT INTO ${table} (${names.map(quote).join(', ')}) VALUES (${names.map(() => '?').join(', ')}) USING TIMESTAMP ?`;
      const parameters = [...keyParams, ...values, ts, ts];
      return {
        request,
        key,
        execute: async () => {
          try {
            await this.client.execute(query, parameters, {
              prepare: true,
              consistency: consistencies.localQuorum,
            });
          } catch (error) {
            throw translateCassandraError(error);
          }
        },
      };
    }

    await this.ensureTombstones(target.namespace);
    const where = target.keyColumns.map((name) => `${quote(name)} = ?`).join(' AND ');
    const statements = [
      {
        query: `DELETE FROM ${table} USING TIMESTAMP ? WHERE ${where}`,
        params: [ts, ...keyParams],
      },
      {
        query: `INSERT INTO ${quote(target.namespace)}.wail_tombstones (table_name, key_hash, wail_ts) VALUES (?, ?, ?) USING TIMESTAMP ? AND TTL ?`,
        params: [target.table, tombstoneKey(target.table, key), ts, ts, this.tombstoneTtl],
      },
    ];
    return {
      request,
      key,
      execute: async () => {
        try {
          await this.client.batch(statements, {
            prepare: true,
            logged: true,
            consistency: consistencies.localQuorum,
          });
        } catch (error) {
          throw translateCassandraError(error);
        }
      },
    };
  }

  /**
   * The row, or its absence and newest recorded delete. On a table keyed by
   * one partition-key column of a type whose driver value has one text form
   * (`BATCHED_KEY_TYPES`), reads of one turn share a statement (`readMany`);
   * other reads run alone.
   */
  async read(
    target: TableRef,
    rawKey: readonly KeyColumn[],
    consistency: ReadConsistency,
  ): Promise<ReadResult> {
    const columns = await this.describe(target);
    const key = canonicalKeyColumns(target, columns, rawKey);
    const only = target.keyColumns.length === 1 ? columns.get(target.keyColumns[0]!) : undefined;
    // A key not in the route's column order (never from the proxy) is read alone.
    if (!only || !BATCHED_KEY_TYPES.has(only.type) || !inKeyOrder(target, key))
      return this.readOne(target, columns, key, consistency);
    // Bound here, so a key the driver cannot bind fails its own read, not its batch's.
    const param = keyParameter(columns, only.name, key[0]!.value);
    return this.reads.add(
      `${consistency}\u0000${target.namespace}\u0000${target.table}`,
      { key, param },
      (items) =>
        items.length === 1
          ? this.readOne(target, columns, items[0]!.key, consistency).then((result) => [result])
          : this.readMany(target, columns, items, consistency),
    );
  }

  /**
   * Several keys of a one-column key in one statement (`k IN ?`, one
   * statement shape whatever the count). A row answers the key whose
   * parameter has its key's text form; a key no row answers (absent, or a
   * row without `wail_ts`) gets the single-key read with its tombstone
   * lookup, so every answer is the one `readOne` would give.
   */
  private async readMany(
    target: TableRef,
    columns: ReadonlyMap<string, ColumnInfo>,
    items: readonly BatchedRead[],
    consistency: ReadConsistency,
  ): Promise<ReadResult[]> {
    const name = target.keyColumns[0]!;
    let rows: types.Row[];
    try {
      const result = await this.client.execute(
        `SELECT * FROM ${quote(target.namespace)}.${quote(target.table)} WHERE ${quote(name)} IN ?`,
        [items.map(({ param }) => param)],
        { prepare: true, consistency: levelOf(consistency) },
      );
      rows = result.rows;
    } catch (error) {
      const translated = translateCassandraError(error);
      // A key Cassandra refuses (over 64 KiB) fails the statement: each key alone.
      if (isWailError(translated) && translated.details?.['rule'] === 'key_too_long')
        return Promise.all(items.map(({ key }) => this.readOne(target, columns, key, consistency)));
      throw translated;
    }
    const found = new Map<string, types.Row>();
    for (const row of rows) if (row.get('wail_ts') !== null) found.set(keyForm(row.get(name)), row);
    return Promise.all(
      items.map(({ key, param }) => {
        const row = found.get(keyForm(param));
        return row
          ? Promise.resolve(this.present(row))
          : this.readOne(target, columns, key, consistency);
      }),
    );
  }

  private present(row: types.Row): ReadResult {
    const values: Record<string, StoredValue> = {};
    for (const name of row.keys())
      if (name !== 'wail_ts') values[name] = fromCassandraValue(row.get(name));
    return { state: 'present', row: values, wailTs: BigInt(row.get('wail_ts') as bigint) };
  }

  private async readOne(
    target: TableRef,
    columns: ReadonlyMap<string, ColumnInfo>,
    key: readonly KeyColumn[],
    consistency: ReadConsistency,
  ): Promise<ReadResult> {
    const keyParams = key.map(({ name, value }) => keyParameter(columns, name, value));
    const where = target.keyColumns.map((name) => `${quote(name)} = ?`).join(' AND ');
    const level = levelOf(consistency);
    try {
      const result = await this.client.execute(
        `SELECT * FROM ${quote(target.namespace)}.${quote(target.table)} WHERE ${where}`,
        keyParams,
        {
          prepare: true,
          consistency: level,
        },
      );
      const found = result.first();
      if (found && found.get('wail_ts') !== null) return this.present(found);
      await this.ensureTombstones(target.namespace);
      const tombstone = await this.client.execute(
        `SELECT wail_ts FROM ${quote(target.namespace)}.wail_tombstones WHERE table_name = ? AND key_hash = ?`,
        [target.table, tombstoneKey(target.table, key)],
        { prepare: true, consistency: level },
      );
      const deleted = tombstone.first()?.get('wail_ts') as bigint | undefined;
      return {
        state: 'absent',
        deletedTs: deleted === undefined || deleted === null ? undefined : BigInt(deleted),
      };
    } catch (error) {
      const translated = translateCassandraError(error);
      // A key Cassandra cannot store (over 64 KiB) names no row: its write was
      // refused, so the intent is unmaterialized, not a poison read.
      if (isWailError(translated) && translated.details?.['rule'] === 'key_too_long')
        return { state: 'absent', deletedTs: undefined };
      throw translated;
    }
  }

  /**
   * One page in token order, with the driver's own paging: `fetchSize` is
   * the limit, the cursor is the page state (base64url, tagged). Deleted
   * rows are gone from the table (the delete path removes the row; its
   * `wail_tombstones` entry is elsewhere), and a row without `wail_ts` was
   * not written by WAIL (`read` calls it absent): neither is returned.
   * Conditions are evaluated here, on the page (no ALLOW FILTERING), so a
   * page may hold fewer rows than the limit and still have a cursor.
   * Rows whose key WAIL could not name (see `canonicalKeyColumns`) are
   * left out too: `read` could not find them either.
   */
  async scan(request: ScanRequest): Promise<ScanPage> {
    const { target } = request;
    const limit = checkedLimit(request.limit);
    const pageState =
      request.cursor === undefined ? undefined : pageStateFromCursor(request.cursor);
    const columns = await this.describe(target);
    const conditions = checkedConditions(target, columns, request.where);
    for (const name of target.keyColumns)
      if (!columns.has(name))
        throw new WailError('ROUTE_MISMATCH', `key column "${name}" does not exist`);
    const selected = [
      ...new Set([...target.keyColumns, 'wail_ts', ...conditions.map(({ column }) => column.name)]),
    ];
    const query = `SELECT ${selected.map(quote).join(', ')} FROM ${quote(target.namespace)}.${quote(target.table)}`;
    let result: types.ResultSet;
    try {
      result = await this.client.execute(query, [], {
        prepare: true,
        consistency: consistencies.localQuorum,
        fetchSize: limit,
        ...(pageState === undefined ? {} : { pageState }),
      });
    } catch (error) {
      if (pageState !== undefined && isBadPageState(error))
        throw new WailError('BAD_REQUEST', 'the scan cursor is not one Cassandra handed out', {
          cause: error,
        });
      throw translateCassandraError(error);
    }
    const rows: ScannedRow[] = [];
    for (const row of result.rows) {
      const version = row.get('wail_ts') as bigint | null;
      if (version === null || version === undefined) continue;
      if (!conditions.every((condition) => holds(condition, row.get(condition.column.name))))
        continue;
      const raw = target.keyColumns.map((name) => ({
        name,
        value: fromCassandraValue(row.get(name)) as KeyScalar,
      }));
      // A partition holding only static cells has null clustering columns: no row.
      if (raw.some(({ value }) => value === null)) continue;
      let key: KeyColumn[];
      try {
        key = canonicalKeyColumns(target, columns, raw);
      } catch {
        // A key WAIL cannot name (a timestamp beyond year 9999): it can
        // neither read nor write that row, so a refresh could not either.
        continue;
      }
      rows.push({ key, version: BigInt(version) });
    }
    const next = result.pageState ? Buffer.from(result.pageState, 'hex') : undefined;
    return { rows, cursor: cursorFromPageState(target, next) };
  }

  private ensureTombstones(keyspace: string): Promise<void> {
    let ready = this.tombstoneTables.get(keyspace);
    if (!ready) {
      ready = this.client
        .execute(
          `CREATE TABLE IF NOT EXISTS ${quote(keyspace)}.wail_tombstones (table_name text, key_hash blob, wail_ts bigint, ` +
            'PRIMARY KEY ((table_name, key_hash))) WITH default_time_to_live = 2592000',
        )
        .then(
          () => undefined,
          (error: unknown) => {
            this.tombstoneTables.delete(keyspace);
            throw translateCassandraError(error);
          },
        );
      this.tombstoneTables.set(keyspace, ready);
    }
    return ready;
  }
}

/**
 * A page state the server cannot use: Cassandra refuses it as a protocol
 * error ("Invalid value for the paging state"), or an invalid request.
 */
function isBadPageState(error: unknown): boolean {
  return (
    error instanceof driverErrors.ResponseError &&
    (error.code === types.responseErrorCodes.protocolError ||
      error.code === types.responseErrorCodes.invalid)
  );
}

function keyParameter(
  columns: ReadonlyMap<string, ColumnInfo>,
  name: string,
  value: KeyColumn['value'],
): unknown {
  const column = columns.get(name);
  if (!column) throw new WailError('BAD_REQUEST', `key column "${name}" does not exist`);
  if (value === null) throw new WailError('BAD_REQUEST', `key column "${name}" cannot be null`);
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') {
    if (column.type === 'bigint' || column.type === 'varint' || column.type === 'counter')
      return value;
    return toCassandraParameter(
      column,
      value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString(),
    );
  }
  return toCassandraParameter(column, value);
}
