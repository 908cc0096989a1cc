import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { WailError } from '@wail/errors';
import type { KeyColumn, KeyScalar } from '@wail/intent';
import { canonicalKey } from '@wail/intent';
import {
  ColumnCache,
  TurnBatcher,
  canonicalKeyColumns,
  inKeyOrder,
  checkScanRequest,
  checkedColumns,
  decodeScanCursor,
  scanPage,
  scannedKey,
  tombstoneKey,
  type ColumnInfo,
  type PreparedWrite,
  type ReadConsistency,
  type ReadResult,
  type RowStore,
  type ScanCondition,
  type ScanPage,
  type ScanRequest,
  type ScannedRow,
  type StoredValue,
  type TableRef,
  type WriteRequest,
} from '@wail/store';
import { MysqlConnection, type MysqlOptions } from './mysql-connection';
import { translateMysqlError } from './mysql-errors';
import { fromMysqlValue, toMysqlParameter } from './mysql-values';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

/** A key column's value as mysql2 returns it → a key value `canonicalKeyColumns` takes. */
function scannedKeyValue(column: ColumnInfo, raw: unknown): KeyScalar {
  const value = fromMysqlValue(column, raw);
  if (INTEGER_TYPES.has(column.type) && (typeof value === 'number' || typeof value === 'string'))
    return BigInt(value);
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  return value;
}

export interface MysqlRowStoreOptions extends MysqlOptions {
  /** A read replica for `fast` reads; without one every read goes to the primary. */
  replicaUrl?: string;
  /**
   * Per-statement timeout, so a hung server answers 503 instead of holding
   * requests; also the time a deadlock victim is retried within.
   */
  queryTimeoutMs?: number;
  /** How long a table's column list is trusted before it is read again. */
  describeTtlMs?: number;
  /** Tombstones of deleted rows are purged after this long (default 24 h). */
  tombstoneRetentionMs?: number;
  /**
   * A delete of a key with no row leaves a tombstone only this long (default
   * 5 min): long enough that an older write still in flight cannot bring the
   * key back and that a consumer a few minutes behind still finds it, short
   * enough that deletes of absent keys leave no lasting state.
   */
  tombstoneGuardMs?: number;
  /** How often tombstones past their retention are purged; 0 turns purging off. */
  tombstonePurgeIntervalMs?: number;
}

const quote = (identifier: string) => `\`${identifier}\``;

const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;

/**
 * InnoDB may pick a statement as a deadlock victim (hot keys written by
 * concurrent batches and deletes); it left nothing behind, so running it
 * again is safe and, guarded by wail_ts, gives the same outcome. A deadlock is
 * contention, not unavailability: the victim is retried with exponential
 * backoff and jitter for as long as the statement timeout allows.
 */
function retrying(run: () => Promise<void>, budgetMs: number): () => Promise<void> {
  return async () => {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const errno = (
          (error as { cause?: { errno?: number } }).cause ?? (error as { errno?: number })
        )?.errno;
        if (errno !== DEADLOCK && errno !== LOCK_WAIT_TIMEOUT) throw error;
        const delay = Math.min(250, 2 ** attempt) * (0.5 + Math.random());
        if (Date.now() - started + delay >= budgetMs) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
}

/**
 * The ON DUPLICATE KEY UPDATE assignments of a guarded upsert: a column
 * changes only when the new wail_ts is newer *and* the duplicate row is this
 * key's. On a table with another unique index the duplicate may be another
 * row (two customers, one email): a write of one key must never change
 * another key's row, which would change it without an intent. `wail_ts` is
 * assigned last: MySQL evaluates the assignments in order, and the guards must
 * see the old value.
 */
function guardedAssignments(keyColumns: readonly string[], setColumns: readonly string[]): string {
  const sameRow = keyColumns
    .map((name) => `${quote(name)} <=> VALUES(${quote(name)})`)
    .join(' AND ');
  const newer = `VALUES(\`wail_ts\`) > \`wail_ts\` AND ${sameRow}`;
  return [
    ...setColumns.map(
      (name) => `${quote(name)} = IF(${newer}, VALUES(${quote(name)}), ${quote(name)})`,
    ),
    `\`wail_ts\` = IF(${sameRow}, GREATEST(\`wail_ts\`, VALUES(\`wail_ts\`)), \`wail_ts\`)`,
  ].join(', ');
}

/** What a guarded upsert contributes to a folded multi-row statement. */
interface Fold {
  /** Upserts with the same shape (table and columns) fold into one statement. */
  shape: string;
  /** Quoted `namespace`.`table`. */
  table: string;
  namespace: string;
  physicalTable: string;
  names: string[];
  keyColumns: readonly string[];
  setColumns: string[];
  /** Key values, column values, ts, key hash. */
  row: unknown[];
  /** The canonical key's bytes: folded rows lock in this order. */
  order: Buffer;
}

interface FoldableUpsert extends PreparedWrite {
  fold?: Fold;
}

/**
 * MySQL/MariaDB behind the store interface, with Cassandra's last-writer-wins
 * outcome:
 *
 * - upsert: `INSERT … SELECT … WHERE NOT EXISTS (newer tombstone) ON DUPLICATE
 *   KEY UPDATE c = IF(new wail_ts > wail_ts, new, c), …, wail_ts = GREATEST(…)`
 *   — one statement; an older write changes nothing, an equal one (a retry)
 *   neither. `wail_ts` is assigned last: MySQL evaluates the assignments in
 *   order, and the guards must see the old value.
 * - delete: in one transaction, record the delete in `wail_tombstones`
 *   (`GREATEST` of timestamps), then delete the row if its `wail_ts` is not
 *   newer, so a late, older upsert cannot resurrect the row and readers learn
 *   when it went.
 *
 * Lock order: every write takes the key's tombstone entry (or its gap) before
 * the row, and folded statements take their rows in canonical-key order, so
 * concurrent batches, single writes and deletes of hot keys do not deadlock
 * each other by construction; a victim that still happens is retried.
 *
 * `wail_tombstones` lives in each route's database, created on first use:
 * (table_name, key_hash = sha256(canonical key)) → wail_ts, whether a row
 * existed, when it was recorded. A tombstone of a deleted row is kept for the
 * retention (24 h by default, far beyond any visibility window); a delete of
 * a key with no row keeps its tombstone only for the in-flight guard (5 min),
 * then purged — deletes of absent keys leave no lasting state.
 */
export class MysqlRowStore implements RowStore {
  readonly kind = 'mysql' as const;
  private readonly primary: MysqlConnection;
  private readonly replica: MysqlConnection | undefined;
  private readonly timeout: number;
  private readonly columns: ColumnCache;
  private readonly tombstoneTables = new Map<string, Promise<void>>();
  /** Reads of one turn share a statement per table and consistency (`readMany`). */
  private readonly reads = new TurnBatcher<readonly KeyColumn[], ReadResult>(100);
  private readonly retentionMs: number;
  private readonly guardMs: number;
  private readonly purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<void> | undefined;
  /** Folded multi-row statements, and how many fell back to one statement per row. */
  readonly foldStats = { statements: 0, rows: 0, fallbacks: 0 };

  constructor(options: MysqlRowStoreOptions) {
    this.timeout = options.queryTimeoutMs ?? 3000;
    this.primary = new MysqlConnection({
      ...options,
      serverTimeoutMs: this.timeout + 1000,
      changedRowsOnly: true,
    });
    this.replica = options.replicaUrl
      ? new MysqlConnection({
          ...options,
          url: options.replicaUrl,
          serverTimeoutMs: this.timeout + 1000,
        })
      : undefined;
    this.retentionMs = options.tombstoneRetentionMs ?? 86_400_000;
    this.guardMs = options.tombstoneGuardMs ?? 300_000;
    this.columns = new ColumnCache(
      'MySQL',
      (target) => this.loadColumns(target),
      options.describeTtlMs,
    );
    const purgeEvery = options.tombstonePurgeIntervalMs ?? 10_000;
    if (purgeEvery > 0) {
      this.purgeTimer = setInterval(
        () => void this.purgeTombstones().catch(() => undefined),
        purgeEvery,
      );
      this.purgeTimer.unref();
    }
  }

  get pool(): Pool {
    return this.primary.pool;
  }

  async ping(): Promise<void> {
    await this.primary.ping();
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.purging?.catch(() => undefined);
    await Promise.all([this.primary.close(), this.replica?.close()]);
  }

  describe(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>> {
    return this.columns.get(target);
  }

  private async loadColumns(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>> {
    let rows: RowDataPacket[];
    try {
      [rows] = await this.primary.pool.query<RowDataPacket[]>({
        sql: `SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS type, c.IS_NULLABLE AS nullable,
                     c.COLUMN_DEFAULT IS NOT NULL OR c.EXTRA <> '' AS has_default,
                     c.CHARACTER_MAXIMUM_LENGTH AS max_length, c.COLLATION_NAME AS collation,
                     c.CHARACTER_SET_NAME AS charset,
                     c.DATETIME_PRECISION AS fsp, c.COLUMN_TYPE LIKE '%unsigned%' AS is_unsigned,
                     s.SEQ_IN_INDEX AS key_seq, s.SUB_PART AS sub_part,
                     EXISTS (SELECT 1 FROM information_schema.STATISTICS u
                              WHERE u.TABLE_SCHEMA = c.TABLE_SCHEMA AND u.TABLE_NAME = c.TABLE_NAME
                                AND u.COLUMN_NAME = c.COLUMN_NAME AND u.NON_UNIQUE = 0
                                AND u.INDEX_NAME <> 'PRIMARY') AS other_unique
                FROM information_schema.COLUMNS c
                LEFT JOIN information_schema.STATISTICS s
                  ON s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME
                 AND s.COLUMN_NAME = c.COLUMN_NAME AND s.INDEX_NAME = 'PRIMARY'
               WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION`,
        values: [target.namespace, target.table],
        timeout: this.timeout,
      });
    } catch (error) {
      throw translateMysqlError(error);
    }
    if (rows.length === 0) {
      throw new WailError(
        'DATABASE_REJECTED',
        `MySQL table ${target.namespace}.${target.table} does not exist`,
      );
    }
    const optionalNumber = (value: unknown) =>
      value === null || value === undefined ? undefined : Number(value);
    const columns = new Map<string, ColumnInfo>(
      rows.map((row) => {
        const keySeq = optionalNumber(row['key_seq']);
        const maxLength = optionalNumber(row['max_length']);
        const fsp = optionalNumber(row['fsp']);
        const info: ColumnInfo = {
          name: String(row['name']),
          type: String(row['type']).toLowerCase(),
          nullable: row['nullable'] === 'YES',
          optional: row['nullable'] === 'YES' || Number(row['has_default']) === 1,
          ...(keySeq === undefined ? {} : { keyPosition: keySeq - 1 }),
          ...(row['sub_part'] === null || row['sub_part'] === undefined
            ? {}
            : { keyPrefixOnly: true }),
          ...(maxLength === undefined ? {} : { maxLength }),
          ...(row['collation'] ? { collation: String(row['collation']) } : {}),
          ...(row['charset'] ? { charset: String(row['charset']) } : {}),
          ...(fsp === undefined ? {} : { fractionalDigits: fsp }),
          ...(Number(row['is_unsigned']) === 1 ? { unsigned: true } : {}),
          ...(Number(row['other_unique']) === 1 ? { otherUniqueKey: true } : {}),
        };
        return [info.name, info];
      }),
    );
    return columns;
  }

  async write(request: WriteRequest): Promise<void> {
    await (await this.prepareWrite(request)).execute();
  }

  async prepareWrite(request: WriteRequest): Promise<PreparedWrite> {
    const { target } = request;
    const columns = await this.describe(target);
    const key = canonicalKeyColumns(target, columns, request.key);
    const keyParams = key.map(({ name, value }) => this.keyParameter(columns, name, value));
    const table = `${quote(target.namespace)}.${quote(target.table)}`;
    const keyHash = tombstoneKey(target.table, key);
    const ts = request.ts.toString();
    await this.ensureTombstones(target.namespace);

    if (request.op === 'upsert') {
      const setColumns = checkedColumns(target, columns, request.values, key, () =>
        this.columns.forget(target),
      );
      const values = setColumns.map((name) =>
        toMysqlParameter(columns.get(name)!, request.values[name]!),
      );
      const missing = [...columns.values()].filter(
        (column) =>
          !column.optional &&
          column.name !== 'wail_ts' &&
          !target.keyColumns.includes(column.name) &&
          !setColumns.includes(column.name),
      );
      if (missing.length > 0) {
        // A partial update that leaves out a required column cannot insert a
        // row, so it may only update one: guarded the same way, by wail_ts.
        return this.preparePartialUpdate(
          request,
          key,
          table,
          keyParams,
          setColumns,
          values,
          missing.map((column) => column.name),
          columns,
        );
      }
      const names = [...target.keyColumns, ...setColumns, 'wail_ts'];
      const sql =
        `INSERT INTO ${table} (${names.map(quote).join(', ')}) SELECT ${names.map(() => '?').join(', ')} FROM DUAL ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${quote(target.namespace)}.\`wail_tombstones\` t ` +
        'WHERE t.table_name = ? AND t.key_hash = ? AND t.wail_ts >= ?) ' +
        `ON DUPLICATE KEY UPDATE ${guardedAssignments(target.keyColumns, setColumns)}`;
      const parameters = [...keyParams, ...values, ts, target.table, keyHash, ts];
      const otherUniqueKeys = [...columns.values()].some((column) => column.otherUniqueKey);
      const prepared: FoldableUpsert = {
        request,
        key,
        execute: retrying(async () => {
          try {
            const result = await this.primary.execute<ResultSetHeader>({
              sql,
              values: parameters,
              timeout: this.timeout,
            });
            if (result.affectedRows === 0 && otherUniqueKeys)
              await this.assertNotAnotherRow(target, table, keyParams, keyHash, request.ts);
          } catch (error) {
            throw translateMysqlError(error, { columns });
          }
        }, this.timeout),
      };
      // A folded statement cannot tell which of its rows hit another row's
      // unique value: tables with other unique keys are written row by row.
      if (otherUniqueKeys) return prepared;
      prepared.fold = {
        shape: `${table}\u0000${names.join(',')}`,
        table,
        namespace: target.namespace,
        physicalTable: target.table,
        names,
        keyColumns: target.keyColumns,
        setColumns,
        row: [...keyParams, ...values, ts, keyHash],
        order: canonicalKey(target.table, key),
      };
      return prepared;
    }

    const where = target.keyColumns.map((name) => `${quote(name)} = ?`).join(' AND ');
    const tombstones = `${quote(target.namespace)}.\`wail_tombstones\``;
    return {
      request,
      key,
      execute: retrying(async () => {
        try {
          const connection = await this.primary.pool.getConnection();
          try {
            await connection.beginTransaction();
            // The tombstone first: every write takes it before the row (lock
            // order). A new one says "no row existed" until the row delete
            // below shows otherwise; an existing one keeps what it knew.
            await connection.execute({
              sql:
                `INSERT INTO ${tombstones} (table_name, key_hash, wail_ts, row_existed, recorded_at) VALUES (?, ?, ?, FALSE, CURRENT_TIMESTAMP(6)) ` +
                'ON DUPLICATE KEY UPDATE wail_ts = GREATEST(wail_ts, VALUES(wail_ts)), recorded_at = CURRENT_TIMESTAMP(6)',
              values: [target.table, keyHash, ts],
              timeout: this.timeout,
            });
            const [deleted] = await connection.execute<ResultSetHeader>({
              sql: `DELETE FROM ${table} WHERE ${where} AND \`wail_ts\` <= ?`,
              values: [...keyParams, ts],
              timeout: this.timeout,
            });
            if (deleted.affectedRows > 0) {
              await connection.execute({
                sql: `UPDATE ${tombstones} SET row_existed = TRUE WHERE table_name = ? AND key_hash = ? AND row_existed = FALSE`,
                values: [target.table, keyHash],
                timeout: this.timeout,
              });
            }
            await connection.commit();
          } catch (error) {
            await connection.rollback().catch(() => undefined);
            throw error;
          } finally {
            connection.release();
          }
        } catch (error) {
          throw translateMysqlError(error, { columns });
        }
      }, this.timeout),
    };
  }

  async executeMany(writes: readonly PreparedWrite[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = new Array(writes.length).fill(undefined);
    const groups = new Map<string, number[]>();
    const singles: number[] = [];
    writes.forEach((write, index) => {
      const fold = (write as FoldableUpsert).fold;
      if (fold) groups.set(fold.shape, [...(groups.get(fold.shape) ?? []), index]);
      else singles.push(index);
    });
    const run = (index: number) =>
      writes[index]!.execute().then(
        () => undefined,
        (error: unknown) => {
          results[index] = error as Error;
        },
      );
    await Promise.all([
      ...singles.map(run),
      ...[...groups.values()].map(async (indexes) => {
        if (indexes.length === 1) return run(indexes[0]!);
        // Rows lock in the order the statement produces them: the same
        // (canonical key) order in every statement, so batches sharing hot
        // keys wait for each other instead of deadlocking.
        const folds = indexes
          .map((index) => (writes[index] as FoldableUpsert).fold!)
          .sort((a, b) => Buffer.compare(a.order, b.order));
        try {
          await retrying(() => this.foldedUpsert(folds), this.timeout)();
          this.foldStats.statements++;
          this.foldStats.rows += indexes.length;
        } catch {
          // One statement, all or nothing: find out row by row which failed.
          this.foldStats.fallbacks++;
          await Promise.all(indexes.map(run));
        }
      }),
    ]);
    return results;
  }

  /**
   * Many guarded upserts of one table and column set in one statement: the
   * rows come from a derived table, each with its own tombstone check; rows
   * of one key are applied in order, each guarded by wail_ts.
   */
  private async foldedUpsert(folds: readonly Fold[]): Promise<void> {
    const { table, names, setColumns, namespace, keyColumns } = folds[0]!;
    const aliases = names.map((_, i) => `v${i}`);
    const rowSelect = (first: boolean) =>
      `SELECT ${[...names, 'key_hash'].map((_, i) => (first ? `? AS \`${i < names.length ? aliases[i] : 'v_kh'}\`` : '?')).join(', ')}`;
    const derived = folds.map((_, i) => rowSelect(i === 0)).join(' UNION ALL ');
    const tsAlias = aliases[names.length - 1]!;
    const sql =
      `INSERT INTO ${table} (${names.map(quote).join(', ')}) SELECT ${aliases.map((alias) => `v.\`${alias}\``).join(', ')} ` +
      `FROM (${derived}) AS v WHERE NOT EXISTS (SELECT 1 FROM ${quote(namespace)}.\`wail_tombstones\` t ` +
      `WHERE t.table_name = ? AND t.key_hash = v.\`v_kh\` AND t.wail_ts >= v.\`${tsAlias}\`) ` +
      `ON DUPLICATE KEY UPDATE ${guardedAssignments(keyColumns, setColumns)}`;
    try {
      await this.primary.query({
        sql,
        values: [...folds.flatMap((fold) => fold.row), folds[0]!.physicalTable],
        timeout: this.timeout,
      });
    } catch (error) {
      throw translateMysqlError(error);
    }
  }

  /**
   * An upsert that changed nothing: superseded (a newer row, a newer delete)
   * or a retry — or, on a table with other unique keys, it collided with
   * another row's unique value and was refused by the guard. Only the last is
   * an error: the client's (422), and no row was changed.
   */
  private async assertNotAnotherRow(
    target: TableRef,
    table: string,
    keyParams: unknown[],
    keyHash: Buffer,
    ts: bigint,
  ): Promise<void> {
    const where = target.keyColumns.map((name) => `${quote(name)} = ?`).join(' AND ');
    const rows = await this.primary.execute<RowDataPacket[]>({
      sql: `SELECT 1 FROM ${table} WHERE ${where}`,
      values: keyParams as never[],
      timeout: this.timeout,
    });
    if (rows.length > 0) return;
    const tombstones = await this.primary.execute<RowDataPacket[]>({
      sql: `SELECT 1 FROM ${quote(target.namespace)}.\`wail_tombstones\` WHERE table_name = ? AND key_hash = ? AND wail_ts >= ?`,
      values: [target.table, keyHash, ts.toString()],
      timeout: this.timeout,
    });
    if (tombstones.length > 0) return;
    throw new WailError(
      'DATABASE_REJECTED',
      `another row of ${target.table} already has a value of this write for a unique key; nothing was changed`,
    );
  }

  private preparePartialUpdate(
    request: WriteRequest,
    key: KeyColumn[],
    table: string,
    keyParams: unknown[],
    setColumns: string[],
    values: unknown[],
    missing: string[],
    columns: ReadonlyMap<string, ColumnInfo>,
  ): PreparedWrite {
    const { target } = request;
    const where = target.keyColumns.map((name) => `${quote(name)} = ?`).join(' AND ');
    const assignments = [...setColumns.map((name) => `${quote(name)} = ?`), '`wail_ts` = ?'].join(
      ', ',
    );
    const ts = request.ts.toString();
    return {
      request,
      key,
      execute: retrying(async () => {
        try {
          const result = await this.primary.execute<ResultSetHeader>({
            sql: `UPDATE ${table} SET ${assignments} WHERE ${where} AND \`wail_ts\` < ?`,
            values: [...values, ts, ...keyParams, ts] as never[],
            timeout: this.timeout,
          });
          if (result.affectedRows > 0) return;
          const rows = await this.primary.execute<RowDataPacket[]>({
            sql: `SELECT 1 FROM ${table} WHERE ${where}`,
            values: keyParams as never[],
            timeout: this.timeout,
          });
          if (rows.length > 0) return; // a newer write already won
          const [tombstone] = await this.primary.execute<RowDataPacket[]>({
            sql: `SELECT 1 FROM ${quote(target.namespace)}.\`wail_tombstones\` WHERE table_name = ? AND key_hash = ? AND wail_ts >= ?`,
            values: [target.table, tombstoneKey(target.table, key), ts],
            timeout: this.timeout,
          });
          if (tombstone) return; // a newer delete already won
          throw new WailError(
            'DATABASE_REJECTED',
            `no row with this key in ${target.table}, and a new row needs ${missing.map((name) => `"${name}"`).join(', ')}`,
          );
        } catch (error) {
          throw translateMysqlError(error, { columns });
        }
      }, this.timeout),
    };
  }

  /**
   * The row, or its absence and newest recorded delete. Reads of one table
   * issued in the same turn of the event loop share one statement (see
   * `readMany`); a read alone runs as before.
   */
  async read(
    target: TableRef,
    rawKey: readonly KeyColumn[],
    consistency: ReadConsistency,
  ): Promise<ReadResult> {
    const columns = await this.describe(target);
    const key = canonicalKeyColumns(target, columns, rawKey);
    const connection = consistency === 'fast' && this.replica ? this.replica : this.primary;
    return this.reads.add(
      `${consistency}\u0000${target.namespace}\u0000${target.table}`,
      key,
      (keys) =>
        keys.length === 1
          ? this.readOne(target, columns, keys[0]!, connection).then((result) => [result])
          : this.readMany(target, columns, keys, connection),
    );
  }

  private async readOne(
    target: TableRef,
    columns: ReadonlyMap<string, ColumnInfo>,
    key: readonly KeyColumn[],
    connection: MysqlConnection,
  ): Promise<ReadResult> {
    const keyParams = key.map(({ name, value }) => this.keyParameter(columns, name, value));
    const where = target.keyColumns.map((name) => `${quote(name)} = ?`).join(' AND ');
    try {
      const rows = await connection.execute<RowDataPacket[]>({
        sql: `SELECT * FROM ${quote(target.namespace)}.${quote(target.table)} WHERE ${where}`,
        values: keyParams,
        timeout: this.timeout,
      });
      const found = rows[0];
      if (found) return this.present(columns, found);
      const tombstones = await connection.execute<RowDataPacket[]>({
        sql: `SELECT wail_ts FROM ${quote(target.namespace)}.\`wail_tombstones\` WHERE table_name = ? AND key_hash = ?`,
        values: [target.table, tombstoneKey(target.table, key)],
        timeout: this.timeout,
      });
      const tombstone = tombstones[0];
      return {
        state: 'absent',
        deletedTs: tombstone ? BigInt(tombstone['wail_ts'] as string) : undefined,
      };
    } catch (error) {
      if (
        (error as { errno?: number }).errno === 1146 &&
        /wail_tombstones/.test(String((error as Error).message))
      ) {
        return { state: 'absent', deletedTs: undefined };
      }
      throw translateMysqlError(error);
    }
  }

  /**
   * Several keys of one table in one statement (`k IN (…)`, or an OR of
   * equalities for a composite key). A row answers the key whose parameters
   * it equals exactly; a key no row equals exactly (absent, or a value the
   * server compares otherwise than by its text, such as a DATETIME or
   * DECIMAL written another way) gets the single-key read, so every answer is
   * the one `readOne` would give.
   */
  private async readMany(
    target: TableRef,
    columns: ReadonlyMap<string, ColumnInfo>,
    keys: readonly (readonly KeyColumn[])[],
    connection: MysqlConnection,
  ): Promise<ReadResult[]> {
    // A key not in the route's column order (never from the proxy) is read alone.
    const inOrder = (key: readonly KeyColumn[]) => inKeyOrder(target, key);
    const batched = keys.filter(inOrder);
    const params = batched.map((key) =>
      key.map(({ name, value }) => this.keyParameter(columns, name, value)),
    );
    if (params.length === 0)
      return Promise.all(keys.map((key) => this.readOne(target, columns, key, connection)));
    // Padded to a power of two with the last key again: a handful of
    // statement shapes per table, not one per batch size (prepared statements
    // are cached per connection).
    for (let size = 2; ; size *= 2)
      if (size >= params.length) {
        while (params.length < size) params.push(params.at(-1)!);
        break;
      }
    const names = target.keyColumns.map(quote);
    const where =
      names.length === 1
        ? `${names[0]} IN (${params.map(() => '?').join(', ')})`
        : params.map(() => `(${names.map((name) => `${name} = ?`).join(' AND ')})`).join(' OR ');
    let rows: RowDataPacket[];
    try {
      rows = await connection.execute<RowDataPacket[]>({
        sql: `SELECT * FROM ${quote(target.namespace)}.${quote(target.table)} WHERE ${where}`,
        values: params.flat(),
        timeout: this.timeout,
      });
    } catch (error) {
      throw translateMysqlError(error);
    }
    const byKey = new Map<string, RowDataPacket>();
    for (const row of rows)
      byKey.set(parameterKey(target.keyColumns.map((name) => row[name] as unknown)), row);
    let next = 0;
    return Promise.all(
      keys.map((key) => {
        const found = inOrder(key) ? byKey.get(parameterKey(params[next++]!)) : undefined;
        return found
          ? this.present(columns, found)
          : this.readOne(target, columns, key, connection);
      }),
    );
  }

  private present(columns: ReadonlyMap<string, ColumnInfo>, found: RowDataPacket): ReadResult {
    const row: Record<string, StoredValue> = {};
    for (const [name, value] of Object.entries(found)) {
      if (name !== 'wail_ts') row[name] = fromMysqlValue(columns.get(name), value);
    }
    return { state: 'present', row, wailTs: BigInt(found['wail_ts'] as string) };
  }

  /**
   * One page of a table's rows in primary-key order, keyset-paginated: after
   * the cursor's key `k1 >= ? AND (k1 > ? OR (k1 = ? AND k2 > ?))` (MariaDB
   * does not range-scan an index for a row-value comparison; the leading
   * `k1 >= ?` lets it), `ORDER BY` the key, `LIMIT` one more than asked to know
   * whether more follow. Deleted rows are gone from the table (their
   * tombstones live in `wail_tombstones`), so every row found exists. Reads
   * the primary: a replica may lag behind rows present from the start.
   */
  async scan(request: ScanRequest): Promise<ScanPage> {
    const { target } = request;
    const columns = await this.describe(target);
    const conditions = checkScanRequest(request, columns);
    for (const name of target.keyColumns)
      if (!columns.has(name))
        throw new WailError('ROUTE_MISMATCH', `key column "${name}" does not exist`);
    const clauses: string[] = [];
    const values: unknown[] = [];
    if (request.cursor !== undefined) {
      const after = decodeScanCursor(target, columns, request.cursor);
      const params = after.map(({ name, value }) => this.keyParameter(columns, name, value));
      const placeholder = (i: number) => this.comparand(columns.get(target.keyColumns[i]!)!);
      const names = target.keyColumns.map(quote);
      // k1 > ? OR (k1 = ? AND (k2 > ? OR (k2 = ? AND … kn > ?)))
      let tail = `${names[names.length - 1]} > ${placeholder(names.length - 1)}`;
      const tailValues: unknown[] = [params[names.length - 1]];
      for (let i = names.length - 2; i >= 0; i--) {
        tail = `${names[i]} > ${placeholder(i)} OR (${names[i]} = ${placeholder(i)} AND (${tail}))`;
        tailValues.unshift(params[i], params[i]);
      }
      clauses.push(`${names[0]} >= ${placeholder(0)} AND (${tail})`);
      values.push(params[0], ...tailValues);
    }
    for (const { column: name, op, value } of conditions) {
      const column = columns.get(name)!;
      const quoted = quote(name);
      if (value === null) {
        clauses.push(`${quoted} IS ${op === '=' ? '' : 'NOT '}NULL`);
        continue;
      }
      values.push(this.conditionParameter(column, value));
      const comparand = this.comparand(column);
      // `!=` keeps rows whose value is null too: null differs from any value.
      clauses.push(
        op === '!=' ? `NOT (${quoted} <=> ${comparand})` : `${quoted} ${op} ${comparand}`,
      );
    }
    const selected = [...target.keyColumns, 'wail_ts'].map(quote).join(', ');
    const sql =
      `SELECT ${selected} FROM ${quote(target.namespace)}.${quote(target.table)}` +
      (clauses.length > 0 ? ` WHERE ${clauses.map((clause) => `(${clause})`).join(' AND ')}` : '') +
      ` ORDER BY ${target.keyColumns.map(quote).join(', ')} LIMIT ${request.limit + 1}`;
    let found: RowDataPacket[];
    try {
      found = await this.primary.execute<RowDataPacket[]>({
        sql,
        values: values as never[],
        timeout: this.timeout,
      });
    } catch (error) {
      throw translateMysqlError(error, { columns });
    }
    const rows: ScannedRow[] = found.map((row) => ({
      key: scannedKey(
        target,
        columns,
        target.keyColumns.map((name) => ({
          name,
          value: scannedKeyValue(columns.get(name)!, row[name]),
        })),
      ),
      version: row['wail_ts'] === null ? 0n : BigInt(row['wail_ts'] as string),
    }));
    return scanPage(target, rows, request.limit);
  }

  /** InnoDB's row estimate (information_schema.TABLES.TABLE_ROWS): statistics, not a count. */
  async estimateRows(target: TableRef): Promise<number | undefined> {
    try {
      const rows = await this.primary.execute<RowDataPacket[]>({
        sql: 'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        values: [target.namespace, target.table],
        timeout: this.timeout,
      });
      const n = rows[0]?.['n'];
      return n === null || n === undefined ? undefined : Number(n);
    } catch (error) {
      throw translateMysqlError(error);
    }
  }

  /**
   * The placeholder a value of this column is compared with: integers and
   * decimals cast to their own kind, or MySQL would compare a string
   * parameter with the column as doubles, wrong beyond 2^53.
   */
  private comparand(column: ColumnInfo): string {
    if (INTEGER_TYPES.has(column.type))
      return column.unsigned ? 'CAST(? AS UNSIGNED)' : 'CAST(? AS SIGNED)';
    if (column.type === 'decimal' || column.type === 'numeric') return 'CAST(? AS DECIMAL(65,30))';
    return '?';
  }

  /** A scan condition's value, converted as a mutation's value of the column is. */
  private conditionParameter(
    column: ColumnInfo,
    value: Exclude<ScanCondition['value'], null>,
  ): string | number | Buffer | null {
    const parameter = toMysqlParameter({ ...column, nullable: true }, value);
    if (INTEGER_TYPES.has(column.type) && typeof parameter === 'string') {
      const integer = BigInt(parameter);
      const [min, max] = column.unsigned ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
      if (integer < min || integer > max)
        throw new WailError(
          'BAD_REQUEST',
          `scan filter on "${column.name}": ${integer} is out of range for a 64-bit integer`,
          { details: { column: column.name } },
        );
    }
    return parameter;
  }

  /**
   * Removes tombstones past their retention in every database this store has
   * written deletes to, in bounded chunks. Concurrent purges (several proxies)
   * are harmless; one that loses a lock simply runs again next time.
   */
  purgeTombstones(): Promise<void> {
    this.purging ??= (async () => {
      try {
        for (const [database, ready] of this.tombstoneTables) {
          if (
            !(await ready.then(
              () => true,
              () => false,
            ))
          )
            continue;
          for (;;) {
            const [result] = await this.primary.pool.query<ResultSetHeader>({
              sql:
                `DELETE FROM ${quote(database)}.\`wail_tombstones\` WHERE ` +
                'recorded_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND ' +
                'AND (row_existed = FALSE OR recorded_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND) LIMIT 1000',
              values: [Math.min(this.guardMs, this.retentionMs) * 1000, this.retentionMs * 1000],
              timeout: this.timeout,
            });
            if (result.affectedRows < 1000) break;
          }
        }
      } finally {
        this.purging = undefined;
      }
    })();
    return this.purging;
  }

  private keyParameter(
    columns: ReadonlyMap<string, ColumnInfo>,
    name: string,
    value: KeyColumn['value'],
  ): string | number | Buffer | null {
    const column = columns.get(name);
    if (!column) throw new WailError('BAD_REQUEST', `key column "${name}" does not exist`);
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return Buffer.from(value);
    if (value === null) throw new WailError('BAD_REQUEST', `key column "${name}" cannot be null`);
    if (typeof value === 'boolean') return value ? 1 : 0;
    return toMysqlParameter(column, value);
  }

  /**
   * Creates `wail_tombstones` in a database, or brings one an earlier version
   * created up to date (the row_existed/recorded_at columns and their index).
   */
  private ensureTombstones(database: string): Promise<void> {
    let ready = this.tombstoneTables.get(database);
    if (!ready) {
      const table = `${quote(database)}.\`wail_tombstones\``;
      ready = (async () => {
        await this.primary.pool.query({
          sql:
            `CREATE TABLE IF NOT EXISTS ${table} (` +
            'table_name VARCHAR(64) NOT NULL, key_hash BINARY(32) NOT NULL, wail_ts BIGINT NOT NULL, ' +
            'row_existed BOOLEAN NOT NULL DEFAULT TRUE, ' +
            'recorded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), ' +
            'PRIMARY KEY (table_name, key_hash), KEY wail_tombstones_expiry (recorded_at)) ENGINE=InnoDB',
          timeout: this.timeout,
        });
        const [existing] = await this.primary.pool.query<RowDataPacket[]>({
          sql: "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'wail_tombstones' AND COLUMN_NAME = 'row_existed'",
          values: [database],
          timeout: this.timeout,
        });
        if (existing.length === 0) {
          // A table of an earlier version may be large (nothing purged it):
          // the upgrade runs without this pool's server-side time limits.
          const connection = await this.primary.pool.getConnection();
          try {
            await connection.query('SET SESSION max_statement_time = 0').catch(() => undefined);
            await connection.query('SET SESSION innodb_lock_wait_timeout = 50');
            await connection
              .query(
                `ALTER TABLE ${table} ADD COLUMN row_existed BOOLEAN NOT NULL DEFAULT TRUE, ` +
                  'ADD COLUMN recorded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), ' +
                  'ADD KEY wail_tombstones_expiry (recorded_at)',
              )
              .catch((error: unknown) => {
                // Another instance upgraded it first.
                if ((error as { errno?: number }).errno !== 1060) throw error;
              });
          } finally {
            // Its session settings differ from the pool's: do not reuse it.
            connection.destroy();
          }
        }
      })().catch((error: unknown) => {
        this.tombstoneTables.delete(database);
        throw translateMysqlError(error);
      });
      this.tombstoneTables.set(database, ready);
    }
    return ready;
  }
}

/**
 * Key parameters (or a row's key values) as one exact string: numbers and
 * strings by their text, bytes by their hex, each column its own JSON string
 * (so no text, NULs included, can make two keys one); equal only when equal
 * exactly.
 */
function parameterKey(values: readonly unknown[]): string {
  return JSON.stringify(
    values.map((value) =>
      Buffer.isBuffer(value) ? `b${value.toString('hex')}` : `s${String(value)}`,
    ),
  );
}
