import pg from 'pg';
import { WailError } from '@wail/errors';
import type { KeyColumn, KeyScalar } from '@wail/intent';
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
  type ScanPage,
  type ScanRequest,
  type ScannedRow,
  type StoredValue,
  type TableRef,
  type WriteRequest,
} from '@wail/store';
import { PostgresConnection, type PostgresOptions } from './postgres-connection';
import { translatePostgresError } from './postgres-errors';
import {
  fromPostgresText,
  keyLiteral,
  keyParameter,
  storeTypeName,
  toPostgresLiteral,
  toPostgresValue,
  type PostgresColumn,
} from './postgres-values';

export interface PostgresRowStoreOptions extends PostgresOptions {
  /** A read replica (hot standby) for `fast` reads; without one every read goes to the primary. */
  replicaUrl?: string;
  /** How long a table's column list is trusted before it is read again. */
  describeTtlMs?: number;
  /** Tombstones of deleted rows are purged after this long (default 24 h). */
  tombstoneRetentionMs?: number;
  /**
   * A delete of a key with no row leaves a tombstone only this long (default
   * 5 min): long enough that an older write still in flight cannot bring the
   * key back, short enough that deletes of absent keys leave no lasting state.
   */
  tombstoneGuardMs?: number;
  /** How often tombstones past their retention are purged; 0 turns purging off. */
  tombstonePurgeIntervalMs?: number;
  /** Writes sent together by `executeMany` in one message (default 200). */
  maxBatch?: number;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const literal = (text: string) => pg.escapeLiteral(text);
const bytesLiteral = (bytes: Buffer) => `CAST('\\x${bytes.toString('hex')}' AS pg_catalog.bytea)`;

const SCAN_INTEGER_TYPES = new Set(['smallint', 'int', 'bigint']);

/** A key column's value as read back → a key value `canonicalKeyColumns` takes. */
function scannedKeyValue(value: StoredValue): KeyScalar {
  if (typeof value === 'number') return BigInt(value);
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  return value;
}

/** The advisory-lock class of WAIL's per-key locks ('WAIL'), so they cannot meet an application's one-key locks. */
const LOCK_CLASS = 0x5741494c;

/** Lost a deadlock or a serialization check: nothing was left behind, running it again is safe. */
const CONTENTION = new Set(['40P01', '40001']);

/** One write's SQL, sent after the per-key lock, with what its results mean. */
interface Plan {
  database: string;
  /** The key's advisory lock (within LOCK_CLASS). */
  lock: number;
  statements: string[];
  /** Judges the write from its statements' results; throws when it failed. */
  verdict?: (results: pg.QueryResult[]) => void;
  columns: ReadonlyMap<string, ColumnInfo>;
}

interface PlannedWrite extends PreparedWrite {
  plan: Plan;
}

/**
 * PostgreSQL behind the store interface, with Cassandra's last-writer-wins
 * outcome:
 *
 * - upsert: `INSERT … SELECT … WHERE NOT EXISTS (newer tombstone) ON CONFLICT
 *   (pk) DO UPDATE SET <named columns> WHERE w.wail_ts < EXCLUDED.wail_ts` —
 *   one statement: an older or equal write changes nothing, columns not named
 *   are left as they are.
 * - delete: record the delete in `wail_tombstones` (`GREATEST` of
 *   timestamps), then delete the row if its `wail_ts` is not newer, so a late,
 *   older upsert cannot resurrect it and readers learn when it went.
 * - an upsert that leaves out a NOT NULL column without a default cannot
 *   insert a row, so it only updates one, guarded the same way.
 *
 * Per-key lock order. Under READ COMMITTED a statement sees what was
 * committed when it started: an upsert whose snapshot predates a delete's
 * commit would not see the new tombstone, and would insert the row the
 * delete just removed (PostgreSQL retries the insert once the conflicting row
 * is gone). So every write first takes `pg_advisory_xact_lock(WAIL, key
 * hash)` in its own statement, then runs its statements, each with a fresh
 * snapshot taken after the lock: whoever holds the key's lock has seen every
 * earlier writer of the key commit. Batches take their locks in ascending
 * order before anything else, so they wait for each other instead of
 * deadlocking; a deadlock victim that still happens is retried.
 *
 * Round trips. node-postgres does not pipeline, and a parameterised query is
 * one statement: the lock, the write and the commit would be four round
 * trips. A simple-protocol message holding several statements runs them as
 * one implicit transaction (the lock is held to its end), each statement
 * with its own snapshot — one round trip per write, and one per database for
 * a whole `executeMany`. That is why writes are sent as literals: every text
 * goes through `escapeLiteral`, bytes as hex, identifiers quoted, numbers and
 * timestamps validated and rewritten before they are inlined.
 *
 * `wail_tombstones` lives in each route's database and schema, created on
 * first write: (table_name, key_hash = sha256(canonical key)) → wail_ts,
 * whether a row existed, when it was recorded; purged like MySQL's (24 h for
 * a deleted row, 5 min for a delete of an absent key).
 */
export class PostgresRowStore implements RowStore {
  readonly kind = 'postgres' as const;
  private readonly primary: PostgresConnection;
  private readonly replica: PostgresConnection | undefined;
  private readonly timeout: number;
  private readonly columns: ColumnCache;
  private readonly pgColumns = new WeakMap<ColumnInfo, PostgresColumn>();
  private readonly tombstoneTables = new Map<
    string,
    { database: string; schema: string; ready: Promise<void> }
  >();
  private readonly tombstonesSeen = new Map<string, { at: number; exists: Promise<boolean> }>();
  private readonly retentionMs: number;
  private readonly guardMs: number;
  private readonly maxBatch: number;
  /** Reads of one turn share a statement per table and consistency (`readMany`). */
  private readonly reads = new TurnBatcher<readonly KeyColumn[], ReadResult>(100);
  private readonly purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<void> | undefined;
  /**
   * Messages this store sent to the primary for writes (each one round trip),
   * batches sent as one message, the writes in them, and batches that failed
   * as a whole and were run write by write.
   */
  readonly writeStats = { roundTrips: 0, batches: 0, batchedWrites: 0, fallbacks: 0 };

  constructor(options: PostgresRowStoreOptions) {
    this.primary = new PostgresConnection(options);
    this.replica = options.replicaUrl
      ? new PostgresConnection({ ...options, url: options.replicaUrl })
      : undefined;
    this.timeout = this.primary.timeoutMs;
    this.retentionMs = options.tombstoneRetentionMs ?? 86_400_000;
    this.guardMs = options.tombstoneGuardMs ?? 300_000;
    this.maxBatch = Math.max(1, options.maxBatch ?? 200);
    this.columns = new ColumnCache(
      'PostgreSQL',
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

  async ping(): Promise<void> {
    try {
      await this.primary.ping();
    } catch (error) {
      throw translatePostgresError(error);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.purging?.catch(() => undefined);
    await Promise.all([this.primary.close(), this.replica?.close()]);
  }

  describe(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>> {
    return this.columns.get({ ...target, schema: target.schema ?? 'public' });
  }

  private async loadColumns(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>> {
    const schema = target.schema ?? 'public';
    let result: pg.QueryResult;
    try {
      // A domain is described by its base type; an array by its element's.
      // Casts name the type itself (pg_catalog."bpchar"), never SQL's
      // spelling: CAST(x AS character) would be char(1) and cut the value.
      result = await this.primary.query(
        target.namespace,
        `SELECT a.attname AS name, b.typname AS typname, b.typcategory AS category,
                e.typname AS element, quote_ident(bn.nspname) || '.' || quote_ident(b.typname) AS cast_type,
                format_type(a.atttypid, a.atttypmod) AS declared,
                CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
                NOT a.attnotnull AND NOT (t.typtype = 'd' AND t.typnotnull) AS nullable,
                a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '' AS has_default,
                CASE WHEN NOT c.collisdeterministic THEN c.collname END AS nondeterministic,
                (SELECT k.n - 1 FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                  WHERE i.indrelid = r.oid AND i.indisprimary AND k.attnum = a.attnum) AS key_position
           FROM pg_class r
           JOIN pg_namespace s ON s.oid = r.relnamespace
           JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
           JOIN pg_type t ON t.oid = a.atttypid
           JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
           JOIN pg_namespace bn ON bn.oid = b.typnamespace
           LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A'
           LEFT JOIN pg_collation c ON c.oid = a.attcollation
          WHERE s.nspname = $1 AND r.relname = $2 AND r.relkind IN ('r', 'p')
          ORDER BY a.attnum`,
        [schema, target.table],
      );
    } catch (error) {
      throw translatePostgresError(error);
    }
    if (result.rows.length === 0) {
      throw new WailError(
        'DATABASE_REJECTED',
        `PostgreSQL table ${target.namespace}.${schema}.${target.table} does not exist`,
      );
    }
    const columns = new Map<string, ColumnInfo>();
    for (const row of result.rows as Record<string, string | null>[]) {
      const typname = row['typname']!;
      const category = row['category']!;
      const type = storeTypeName(typname, category, row['element'] ?? undefined);
      const typmod = Number(row['typmod']);
      const keyPosition = row['key_position'] === null ? undefined : Number(row['key_position']);
      const info: ColumnInfo = {
        name: row['name']!,
        type,
        nullable: row['nullable'] === 't',
        optional: row['nullable'] === 't' || row['has_default'] === 't',
        ...(keyPosition === undefined ? {} : { keyPosition }),
        ...((type === 'varchar' || type === 'char') && typmod >= 4
          ? { maxLength: typmod - 4 }
          : {}),
        ...((type === 'timestamp' || type === 'datetime') && category !== 'A'
          ? { fractionalDigits: typmod >= 0 ? typmod : 6 }
          : {}),
        ...(row['nondeterministic'] ? { collation: row['nondeterministic'] } : {}),
      };
      this.pgColumns.set(info, {
        castType: row['cast_type']!,
        declared: row['declared']!,
        array: category === 'A',
        textual: category === 'E' || category === 'S',
      });
      columns.set(info.name, info);
    }
    return columns;
  }

  private pgColumn(column: ColumnInfo): PostgresColumn {
    return this.pgColumns.get(column)!;
  }

  async write(request: WriteRequest): Promise<void> {
    await (await this.prepareWrite(request)).execute();
  }

  async prepareWrite(request: WriteRequest): Promise<PreparedWrite> {
    const { target } = request;
    const columns = await this.describe(target);
    const key = canonicalKeyColumns(target, columns, request.key);
    const named = key.map((column) => column.name);
    if (
      named.length !== target.keyColumns.length ||
      target.keyColumns.some((name) => !named.includes(name))
    )
      throw new WailError(
        'BAD_REQUEST',
        `the key must name exactly the key columns ${target.keyColumns.join(', ')}`,
      );
    const schema = target.schema ?? 'public';
    const table = `${quote(schema)}.${quote(target.table)}`;
    const tombstones = `${quote(schema)}.wail_tombstones`;
    const keyHash = tombstoneKey(target.table, key);
    const where = key
      .map(({ name, value }) => {
        const column = columns.get(name)!;
        return `w.${quote(name)} = ${keyLiteral(this.pgColumn(column), value as Exclude<KeyScalar, null | number>)}`;
      })
      .join(' AND ');
    const ts = `CAST(${request.ts.toString()} AS bigint)`;
    const tombstoneWhere = `d.table_name = ${literal(target.table)} AND d.key_hash = ${bytesLiteral(keyHash)}`;
    await this.ensureTombstones(target.namespace, schema);

    const plan = (statements: string[], verdict?: Plan['verdict']): PlannedWrite => {
      const prepared: PlannedWrite = {
        request,
        key,
        plan: {
          database: target.namespace,
          lock: keyHash.readInt32BE(0),
          statements,
          ...(verdict ? { verdict } : {}),
          columns,
        },
        execute: () =>
          this.retrying(() =>
            this.send([prepared.plan]).then(([error]) => {
              if (error) throw error;
            }),
          ),
      };
      return prepared;
    };

    if (request.op === 'delete') {
      return plan([
        `INSERT INTO ${tombstones} AS d (table_name, key_hash, wail_ts, row_existed, recorded_at) ` +
          `VALUES (${literal(target.table)}, ${bytesLiteral(keyHash)}, ${ts}, FALSE, clock_timestamp()) ` +
          'ON CONFLICT (table_name, key_hash) DO UPDATE SET wail_ts = GREATEST(d.wail_ts, EXCLUDED.wail_ts), recorded_at = EXCLUDED.recorded_at',
        `WITH gone AS (DELETE FROM ${table} AS w WHERE ${where} AND w.wail_ts <= ${ts} RETURNING 1) ` +
          `UPDATE ${tombstones} AS d SET row_existed = TRUE WHERE ${tombstoneWhere} AND NOT d.row_existed AND EXISTS (SELECT 1 FROM gone)`,
      ]);
    }

    const setColumns = checkedColumns(target, columns, request.values, key, () =>
      this.columns.forget({ ...target, schema }),
    );
    const values = setColumns.map((name) => {
      const column = columns.get(name)!;
      return toPostgresLiteral(column, this.pgColumn(column), request.values[name]!);
    });
    const missing = [...columns.values()].filter(
      (column) =>
        !column.optional &&
        column.name !== 'wail_ts' &&
        !named.includes(column.name) &&
        !setColumns.includes(column.name),
    );
    if (missing.length > 0) {
      // A NOT NULL column without a default is checked before the conflict
      // is: such a write cannot insert a row, so it may only update one.
      const assignments = [
        ...setColumns.map((name, i) => `${quote(name)} = ${values[i]}`),
        `wail_ts = ${ts}`,
      ].join(', ');
      const names = missing.map((column) => `"${column.name}"`).join(', ');
      return plan(
        [
          `WITH u AS (UPDATE ${table} AS w SET ${assignments} WHERE ${where} AND w.wail_ts < ${ts} RETURNING 1) ` +
            `SELECT EXISTS (SELECT 1 FROM u) OR EXISTS (SELECT 1 FROM ${table} AS w WHERE ${where}) ` +
            `OR EXISTS (SELECT 1 FROM ${tombstones} AS d WHERE ${tombstoneWhere} AND d.wail_ts >= ${ts}) AS settled`,
        ],
        ([result]) => {
          // Not updated, yet a row or a newer delete is there: superseded.
          if ((result?.rows[0] as { settled?: string } | undefined)?.settled === 't') return;
          throw new WailError(
            'DATABASE_REJECTED',
            `no row with this key in ${target.table}, and a new row needs ${names}`,
            { details: { rule: 'required', columns: missing.map((column) => column.name) } },
          );
        },
      );
    }
    const insertNames = [...named, ...setColumns, 'wail_ts'];
    const insertValues = [
      ...key.map(({ name, value }) => {
        const column = columns.get(name)!;
        return keyLiteral(this.pgColumn(column), value as Exclude<KeyScalar, null | number>);
      }),
      ...values,
      ts,
    ];
    const assignments = [...setColumns, 'wail_ts']
      .map((name) => `${quote(name)} = EXCLUDED.${quote(name)}`)
      .join(', ');
    return plan([
      `INSERT INTO ${table} AS w (${insertNames.map(quote).join(', ')}) SELECT ${insertValues.join(', ')} ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${tombstones} AS d WHERE ${tombstoneWhere} AND d.wail_ts >= ${ts}) ` +
        `ON CONFLICT (${target.keyColumns.map(quote).join(', ')}) DO UPDATE SET ${assignments} ` +
        `WHERE w.wail_ts < EXCLUDED.wail_ts`,
    ]);
  }

  /**
   * Sends plans of one database as one message: their key locks in ascending
   * order, then their statements, one implicit transaction. One result per
   * plan: undefined, or the error its verdict found. A failure of the message
   * itself (any statement) rejects: nothing of it was committed.
   */
  private async send(plans: readonly Plan[]): Promise<(Error | undefined)[]> {
    const locks = [...new Set(plans.map((plan) => plan.lock))].sort((a, b) => a - b);
    const text = [
      `SELECT ${locks.map((lock) => `pg_advisory_xact_lock(${LOCK_CLASS}, ${lock})`).join(', ')}`,
      ...plans.flatMap((plan) => plan.statements),
    ].join(';\n');
    let results: pg.QueryResult[];
    try {
      this.writeStats.roundTrips++;
      const answer = (await this.primary.query(plans[0]!.database, text)) as
        pg.QueryResult | pg.QueryResult[];
      results = Array.isArray(answer) ? answer : [answer];
    } catch (error) {
      throw translatePostgresError(error, plans.length === 1 ? { columns: plans[0]!.columns } : {});
    }
    let next = 1;
    return plans.map((plan) => {
      const own = results.slice(next, next + plan.statements.length);
      next += plan.statements.length;
      try {
        plan.verdict?.(own);
        return undefined;
      } catch (error) {
        return error as Error;
      }
    });
  }

  /** Runs again a write that lost a deadlock, with backoff and jitter, within the timeout. */
  private async retrying(run: () => Promise<void>): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const state = (error as { details?: { sqlstate?: string } }).details?.sqlstate;
        if (state === undefined || !CONTENTION.has(state)) throw error;
        const delay = Math.min(250, 2 ** attempt) * (0.5 + Math.random());
        if (Date.now() - started + delay >= this.timeout) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * One message per database (in chunks of `maxBatch`), all its writes in
   * one implicit transaction; if the message fails as a whole, its writes
   * run one by one, so a failing write fails alone.
   */
  async executeMany(writes: readonly PreparedWrite[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = new Array(writes.length).fill(undefined);
    const run = (index: number) =>
      writes[index]!.execute().then(
        () => undefined,
        (error: unknown) => {
          results[index] = error as Error;
        },
      );
    const groups = new Map<string, number[]>();
    const singles: number[] = [];
    writes.forEach((write, index) => {
      const plan = (write as Partial<PlannedWrite>).plan;
      if (!plan) return singles.push(index);
      const group = groups.get(plan.database) ?? [];
      group.push(index);
      groups.set(plan.database, group);
      return undefined;
    });
    const chunks = [...groups.values()].flatMap((indexes) => {
      const out: number[][] = [];
      for (let i = 0; i < indexes.length; i += this.maxBatch)
        out.push(indexes.slice(i, i + this.maxBatch));
      return out;
    });
    await Promise.all([
      ...singles.map(run),
      ...chunks.map(async (indexes) => {
        if (indexes.length === 1) return run(indexes[0]!);
        try {
          const outcomes = await this.send(
            indexes.map((index) => (writes[index] as PlannedWrite).plan),
          );
          this.writeStats.batches++;
          this.writeStats.batchedWrites += indexes.length;
          outcomes.forEach((error, i) => {
            results[indexes[i]!] = error;
          });
        } catch {
          this.writeStats.fallbacks++;
          await Promise.all(indexes.map(run));
        }
        return undefined;
      }),
    ]);
    return results;
  }

  /**
   * The row, or its absence and newest recorded delete, in one statement.
   * Reads of one table issued in the same turn of the event loop share one
   * statement (`readMany`).
   */
  async read(
    target: TableRef,
    rawKey: readonly KeyColumn[],
    consistency: ReadConsistency,
  ): Promise<ReadResult> {
    const columns = await this.describe(target);
    const key = canonicalKeyColumns(target, columns, rawKey);
    const schema = target.schema ?? 'public';
    const connection = consistency === 'fast' && this.replica ? this.replica : this.primary;
    return this.reads.add(
      `${consistency}\u0000${target.namespace}\u0000${schema}\u0000${target.table}`,
      key,
      (keys) => this.readMany(target, columns, keys, connection),
    );
  }

  /**
   * Keys of one table in one statement: a VALUES list of the keys (each with
   * its position and tombstone hash) LEFT JOINed to the table on the same
   * equalities a single read uses, so each key gets exactly its own answer.
   */
  private async readMany(
    target: TableRef,
    columns: ReadonlyMap<string, ColumnInfo>,
    keys: readonly (readonly KeyColumn[])[],
    connection: PostgresConnection,
  ): Promise<ReadResult[]> {
    const schema = target.schema ?? 'public';
    // A key not in the route's column order (never from the proxy) is read alone.
    if (keys.length > 1 && !keys.every((key) => inKeyOrder(target, key)))
      return Promise.all(
        keys.map((key) =>
          this.readMany(target, columns, [key], connection).then(([result]) => result!),
        ),
      );
    const names = keys[0]!.map(({ name }) => name);
    try {
      const withTombstones = await this.tombstonesExist(connection, target.namespace, schema);
      const values: unknown[] = [];
      const rows = keys.map((key, i) => {
        values.push(i);
        const cells = [`$${values.length}::int`];
        for (const { name, value } of key) {
          values.push(keyParameter(value as Exclude<KeyScalar, null | number>));
          cells.push(`$${values.length}::${this.pgColumn(columns.get(name)!).castType}`);
        }
        if (withTombstones) {
          values.push(tombstoneKey(target.table, key));
          cells.push(`$${values.length}::bytea`);
        }
        return `(${cells.join(', ')})`;
      });
      const aliases = names.map((_, j) => `k${j}`);
      const on = names.map((name, j) => `w.${quote(name)} = k.${aliases[j]}`).join(' AND ');
      let deleted = 'NULL::bigint';
      if (withTombstones) {
        values.push(target.table);
        deleted = `(SELECT d.wail_ts FROM ${quote(schema)}.wail_tombstones AS d WHERE d.table_name = $${values.length} AND d.key_hash = k.h)`;
      }
      const result = await connection.pool(target.namespace).query({
        text:
          `SELECT k.i, w.*, ${deleted} FROM (VALUES ${rows.join(', ')}) ` +
          `AS k(i, ${[...aliases, ...(withTombstones ? ['h'] : [])].join(', ')}) ` +
          `LEFT JOIN ${quote(schema)}.${quote(target.table)} AS w ON ${on}`,
        values,
        rowMode: 'array',
      });
      // Row cells: the position, the table's columns, the newest delete.
      const fields = result.fields.slice(1, -1).map((field) => field.name);
      const keyIndex = fields.indexOf(names[0]!);
      const answers: ReadResult[] = new Array(keys.length);
      let answered = 0;
      for (const cells of result.rows as (string | number | null)[][]) {
        answered++;
        const deletedTs = cells[cells.length - 1];
        const tableCells = cells.slice(1, -1) as (string | null)[];
        answers[Number(cells[0])] =
          tableCells[keyIndex] === null
            ? {
                state: 'absent',
                deletedTs:
                  deletedTs === null || deletedTs === undefined ? undefined : BigInt(deletedTs),
              }
            : this.present(columns, fields, tableCells);
      }
      if (answered !== keys.length || answers.includes(undefined as never))
        throw new Error(`a batched read answered ${answered} rows for ${keys.length} keys`);
      return answers;
    } catch (error) {
      throw translatePostgresError(error);
    }
  }

  private present(
    columns: ReadonlyMap<string, ColumnInfo>,
    fields: readonly string[],
    cells: readonly (string | null)[],
  ): ReadResult {
    const row: Record<string, StoredValue> = {};
    let wailTs = 0n;
    fields.forEach((name, i) => {
      if (name === 'wail_ts') wailTs = BigInt(cells[i] ?? 0);
      else row[name] = fromPostgresText(columns.get(name), cells[i] ?? null);
    });
    return { state: 'present', row, wailTs };
  }

  /**
   * One page of a table's rows in primary-key order, keyset-paginated: after
   * the cursor's key by row-value comparison `(k1, k2) > ($1, $2)` (a btree
   * range scan in PostgreSQL), `ORDER BY` the key, `LIMIT` one more than asked
   * to know whether more follow. Every value is a bound parameter cast to its
   * column's type. Deleted rows are gone from the table (their tombstones
   * live in `wail_tombstones`). Reads the primary: a standby may lag.
   */
  async scan(request: ScanRequest): Promise<ScanPage> {
    const { target } = request;
    const columns = await this.describe(target);
    const conditions = checkScanRequest(request, columns);
    const keyColumns = target.keyColumns.map((name) => {
      const column = columns.get(name);
      if (!column) throw new WailError('ROUTE_MISMATCH', `key column "${name}" does not exist`);
      return column;
    });
    const schema = target.schema ?? 'public';
    const values: unknown[] = [];
    const parameter = (column: ColumnInfo, value: unknown) => {
      values.push(value);
      return `$${values.length}::${this.pgColumn(column).castType}`;
    };
    const clauses: string[] = [];
    if (request.cursor !== undefined) {
      const after = decodeScanCursor(target, columns, request.cursor);
      const names = keyColumns.map((column) => `w.${quote(column.name)}`);
      const params = after.map(({ value }, i) =>
        parameter(keyColumns[i]!, keyParameter(value as Exclude<KeyScalar, null | number>)),
      );
      clauses.push(
        names.length === 1
          ? `${names[0]} > ${params[0]}`
          : `(${names.join(', ')}) > (${params.join(', ')})`,
      );
    }
    for (const { column: name, op, value } of conditions) {
      const column = columns.get(name)!;
      const quoted = `w.${quote(name)}`;
      if (value === null) {
        clauses.push(`${quoted} IS ${op === '=' ? '' : 'NOT '}NULL`);
        continue;
      }
      const converted = toPostgresValue(
        { ...column, nullable: true },
        this.pgColumn(column),
        value,
      );
      let placeholder: string;
      if (SCAN_INTEGER_TYPES.has(column.type)) {
        // Compared as int8 whatever the column's width: `qty < 10000000000`
        // is a fair filter of an int column, not an out-of-range error.
        const integer = BigInt(converted as string);
        if (integer < -(2n ** 63n) || integer >= 2n ** 63n)
          throw new WailError(
            'BAD_REQUEST',
            `scan filter on "${name}": ${integer} is out of range for a 64-bit integer`,
            { details: { column: name } },
          );
        values.push(converted);
        placeholder = `$${values.length}::pg_catalog.int8`;
      } else placeholder = parameter(column, converted);
      // `!=` keeps rows whose value is null too: null differs from any value.
      clauses.push(
        op === '!='
          ? `${quoted} IS DISTINCT FROM ${placeholder}`
          : `${quoted} ${op} ${placeholder}`,
      );
    }
    const order = keyColumns.map((column) => `w.${quote(column.name)}`).join(', ');
    const text =
      `SELECT ${order}, w.wail_ts FROM ${quote(schema)}.${quote(target.table)} AS w` +
      (clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '') +
      ` ORDER BY ${order} LIMIT ${request.limit + 1}`;
    let result: pg.QueryResult;
    try {
      result = await this.primary.pool(target.namespace).query({ text, values, rowMode: 'array' });
    } catch (error) {
      throw translatePostgresError(error, { columns });
    }
    const rows: ScannedRow[] = (result.rows as (string | null)[][]).map((cells) => ({
      key: scannedKey(
        target,
        columns,
        keyColumns.map((column, i) => ({
          name: column.name,
          value: scannedKeyValue(fromPostgresText(column, cells[i] ?? null)),
        })),
      ),
      version: BigInt(cells[keyColumns.length] ?? 0),
    }));
    return scanPage(target, rows, request.limit);
  }

  /** The planner's row estimate (pg_class.reltuples; none before the table was first analyzed). */
  async estimateRows(target: TableRef): Promise<number | undefined> {
    let result: pg.QueryResult;
    try {
      result = await this.primary.pool(target.namespace).query({
        text: 'SELECT c.reltuples AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relname = $2',
        values: [target.schema ?? 'public', target.table],
      });
    } catch (error) {
      throw translatePostgresError(error);
    }
    const n = Number((result.rows[0] as { n?: unknown } | undefined)?.n ?? -1);
    return n < 0 ? undefined : Math.round(n);
  }

  /**
   * Whether a database's schema has `wail_tombstones`. Reads never create it
   * (a reader may have no right to; a replica cannot): a table no delete has
   * reached has no tombstones. Known to exist: for good; not yet: for a second.
   */
  private tombstonesExist(
    connection: PostgresConnection,
    database: string,
    schema: string,
  ): Promise<boolean> {
    const key = `${connection === this.primary ? 'p' : 'r'}\u0000${database}\u0000${schema}`;
    const seen = this.tombstonesSeen.get(key);
    if (seen && Date.now() - seen.at < 1000) return seen.exists;
    const exists = connection
      .query(database, 'SELECT to_regclass($1) IS NOT NULL AS found', [
        `${quote(schema)}.wail_tombstones`,
      ])
      .then((result) => (result.rows[0] as { found: string }).found === 't');
    this.tombstonesSeen.set(key, { at: Date.now(), exists });
    exists.then(
      (found) => {
        if (found) this.tombstonesSeen.set(key, { at: Infinity, exists });
      },
      () => this.tombstonesSeen.delete(key),
    );
    return exists;
  }

  /**
   * Removes tombstones past their retention in every database and schema
   * this store has written to, in bounded chunks. Concurrent purges (several
   * proxies) are harmless.
   */
  purgeTombstones(): Promise<void> {
    this.purging ??= (async () => {
      try {
        for (const { database, schema, ready } of this.tombstoneTables.values()) {
          if (
            !(await ready.then(
              () => true,
              () => false,
            ))
          )
            continue;
          const tombstones = `${quote(schema)}.wail_tombstones`;
          for (;;) {
            const result = await this.primary.query(
              database,
              `DELETE FROM ${tombstones} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${tombstones} ` +
                "WHERE recorded_at < clock_timestamp() - $1 * interval '1 millisecond' " +
                "AND (NOT row_existed OR recorded_at < clock_timestamp() - $2 * interval '1 millisecond') LIMIT 1000))",
              [Math.min(this.guardMs, this.retentionMs), this.retentionMs],
            );
            if ((result.rowCount ?? 0) < 1000) break;
          }
        }
      } catch (error) {
        throw translatePostgresError(error);
      } finally {
        this.purging = undefined;
      }
    })();
    return this.purging;
  }

  /** Creates `wail_tombstones` in a database's schema, once per store. */
  private ensureTombstones(database: string, schema: string): Promise<void> {
    const key = `${database}\u0000${schema}`;
    let entry = this.tombstoneTables.get(key);
    if (!entry) {
      const tombstones = `${quote(schema)}.wail_tombstones`;
      const create =
        `CREATE TABLE IF NOT EXISTS ${tombstones} (table_name text NOT NULL, key_hash bytea NOT NULL, ` +
        'wail_ts bigint NOT NULL, row_existed boolean NOT NULL DEFAULT TRUE, ' +
        'recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (table_name, key_hash));\n' +
        `CREATE INDEX IF NOT EXISTS wail_tombstones_expiry ON ${tombstones} (recorded_at)`;
      const ready = (async () => {
        // CREATE INDEX IF NOT EXISTS locks the table before it looks, and
        // would wait for writes in flight: look first.
        const existing = await this.primary.query(
          database,
          'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS found',
          [tombstones, `${quote(schema)}.wail_tombstones_expiry`],
        );
        if ((existing.rows[0] as { found: string }).found === 't') return;
        try {
          await this.primary.query(database, create);
        } catch (error) {
          // Two instances creating it at once: one wins, the other's IF NOT
          // EXISTS came too late (duplicate type or relation). Look again.
          const state = (error as { code?: string }).code;
          if (state !== '23505' && state !== '42P07') throw error;
          await this.primary.query(database, create);
        }
      })().catch((error: unknown) => {
        this.tombstoneTables.delete(key);
        throw translatePostgresError(error);
      });
      entry = { database, schema, ready };
      this.tombstoneTables.set(key, entry);
    }
    return entry.ready;
  }
}
