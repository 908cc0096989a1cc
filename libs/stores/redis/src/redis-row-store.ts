import { Redis, type ChainableCommander } from 'ioredis';
import { Defaults } from '@wail/config';
import { VISIBILITY_WINDOW_MS_BOUNDS } from '@wail/contracts';
import { WailError } from '@wail/errors';
import type { KeyColumn } from '@wail/intent';
import {
  canonicalKeyColumns,
  checkedColumns,
  routeTableProblems,
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
import { columnsFromModel, type RedisColumnInfo } from './redis-columns';
import { translateRedisError } from './redis-errors';
import { DELETED_FIELD, DELETE_SCRIPT, UPSERT_SCRIPT } from './redis-scripts';
import {
  batchCursor,
  checkedConditions,
  checkedLimit,
  holds,
  keyDigest,
  keyFromRowKey,
  matchPattern,
  positionFromCursor,
} from './redis-scan';
import { fromRedisField, keyToRedisField, rowKey, toRedisField } from './redis-values';

export interface RedisRowStoreOptions {
  /** `redis://[[user]:password@]host:port[/db]` (`rediss://` for TLS); default redis://127.0.0.1:6379. */
  url?: string;
  /** Bounds connecting and every command, so a hung server answers 503 instead of holding requests. */
  timeoutMs?: number;
  /**
   * The table's data model: its Avro record schema (field name = column
   * name), or undefined when the table has none. Redis has no catalog; this
   * is the table's description.
   */
  modelSchema: (table: string) => Promise<Record<string, unknown> | undefined>;
  /** How long a table's model is trusted before it is asked for again (default 5 s). */
  modelTtlMs?: number;
  /**
   * How long a tombstone outlives its delete (default 24 h): longer than any
   * visibility window, so a consumer still finds the delete and a late,
   * older write cannot bring the row back.
   */
  tombstoneTtlMs?: number;
}

type Columns = ReadonlyMap<string, RedisColumnInfo>;

/** A prepared write: its script and arguments, so that `executeMany` can pipeline it. */
interface ScriptedWrite extends PreparedWrite {
  readonly script: { command: 'wailUpsert' | 'wailDelete'; args: string[]; table: string };
}

interface ScriptCommands {
  wailUpsert(key: string, ...args: string[]): Promise<number>;
  wailDelete(key: string, ...args: string[]): Promise<number>;
}

/**
 * A column the row does not have (the model gained it after the row was
 * written) reads as the model's default, as an Avro reader fills a field
 * the writer did not know.
 */
function defaultField(column: RedisColumnInfo): string | undefined {
  if (column.defaultValue === undefined) return undefined;
  try {
    return toRedisField(column, column.defaultValue);
  } catch {
    return undefined;
  }
}

const badScanCursor = () =>
  new WailError('BAD_REQUEST', 'the scan cursor is not one Redis handed out');

const isScripted = (write: PreparedWrite): write is ScriptedWrite =>
  (write as Partial<ScriptedWrite>).script !== undefined;

/**
 * Redis (or Valkey) behind the store interface, with Cassandra's
 * last-writer-wins outcome. A row is a hash at `<keyPrefix>:<key>` (see
 * `rowKey`), one field per column holding its JSON value, plus `wail_ts`;
 * the table's columns come from its data model (`columnsFromModel`).
 *
 * Every write is one Lua script (EVALSHA, see redis-scripts.ts) that
 * compares `wail_ts` and changes the hash atomically: an older write changes
 * nothing; a delete leaves a tombstone (wail_ts + a marker) that expires
 * after `tombstoneTtlMs`, so a late older upsert cannot resurrect the row; a
 * newer upsert recreates the row with only its fields. A write that would
 * create a row without a required column is refused by the script
 * (DATABASE_REJECTED), as NOT NULL would refuse it in SQL.
 *
 * There is one server: `fast` and `strong` reads both read it.
 */
export class RedisRowStore implements RowStore {
  readonly kind = 'redis' as const;
  readonly client: Redis;
  private readonly modelSchema: RedisRowStoreOptions['modelSchema'];
  private readonly modelTtlMs: number;
  private readonly tombstoneTtlMs: number;
  private readonly models = new Map<
    string,
    { at: number; schema: Promise<Record<string, unknown> | undefined> }
  >();
  private readonly derived = new WeakMap<object, Map<string, Columns>>();

  constructor(options: RedisRowStoreOptions) {
    const timeoutMs = options.timeoutMs ?? 3000;
    this.modelSchema = options.modelSchema;
    this.modelTtlMs = options.modelTtlMs ?? 5000;
    this.tombstoneTtlMs = options.tombstoneTtlMs ?? 86_400_000;
    if (
      !Number.isSafeInteger(this.tombstoneTtlMs) ||
      this.tombstoneTtlMs <= VISIBILITY_WINDOW_MS_BOUNDS.max
    )
      throw new WailError(
        'CONFIG_INVALID',
        `the Redis tombstone TTL must be an integer number of milliseconds above the longest visibility window (${VISIBILITY_WINDOW_MS_BOUNDS.max} ms)`,
      );
    this.client = new Redis(options.url ?? Defaults.redisUrl, {
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      // Fail fast while the server is down: a command waits for at most one
      // reconnection attempt, then fails (503) instead of queueing.
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
      enableReadyCheck: true,
      lazyConnect: false,
    });
    // Failures reach callers through their commands; without a listener
    // ioredis would print every reconnection error.
    this.client.on('error', () => undefined);
    this.client.defineCommand('wailUpsert', { numberOfKeys: 1, lua: UPSERT_SCRIPT });
    this.client.defineCommand('wailDelete', { numberOfKeys: 1, lua: DELETE_SCRIPT });
  }

  async ping(): Promise<void> {
    try {
      await this.client.ping();
    } catch (error) {
      throw translateRedisError(error);
    }
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through: drop the connection.
      }
    }
    this.client.disconnect();
  }

  /**
   * The table's columns from its data model, checked against the route
   * (ROUTE_MISMATCH when they do not fit). No model: DATABASE_REJECTED, as
   * for a MySQL table that does not exist.
   */
  async describe(target: TableRef): Promise<ReadonlyMap<string, ColumnInfo>> {
    return this.columns(target);
  }

  private async columns(target: TableRef): Promise<Columns> {
    const schema = await this.model(target.table);
    if (schema === undefined) {
      throw new WailError(
        'DATABASE_REJECTED',
        `Redis table ${target.table} (key prefix ${target.namespace}) has no data model`,
      );
    }
    let byKey = this.derived.get(schema);
    if (!byKey) {
      byKey = new Map();
      this.derived.set(schema, byKey);
    }
    const routeKey = target.keyColumns.join('\u0000');
    let columns = byKey.get(routeKey);
    if (!columns) {
      columns = columnsFromModel(schema, target.keyColumns);
      byKey.set(routeKey, columns);
    }
    const problems = routeTableProblems(target, columns);
    if (problems.length > 0)
      throw new WailError(
        'ROUTE_MISMATCH',
        `the route does not fit the data model of Redis table ${target.table}: ${problems.join('; ')}`,
        { details: { problems } },
      );
    return columns;
  }

  /** The model of a table, trusted for `modelTtlMs`; a failed or missing one is asked for again next time. */
  private model(table: string): Promise<Record<string, unknown> | undefined> {
    const cached = this.models.get(table);
    if (cached && Date.now() - cached.at < this.modelTtlMs) return cached.schema;
    const schema = this.modelSchema(table).catch((error: unknown) => {
      throw error instanceof WailError
        ? error
        : new WailError('REPOSITORY_UNAVAILABLE', `the data model of ${table} cannot be read`, {
            cause: error,
          });
    });
    const entry = { at: Date.now(), schema };
    this.models.set(table, entry);
    const forget = () => {
      if (this.models.get(table) === entry) this.models.delete(table);
    };
    void schema.then((found) => (found === undefined ? forget() : undefined), forget);
    return schema;
  }

  async write(request: WriteRequest): Promise<void> {
    await (await this.prepareWrite(request)).execute();
  }

  async prepareWrite(request: WriteRequest): Promise<PreparedWrite> {
    const { target } = request;
    const columns = await this.columns(target);
    const key = canonicalKeyColumns(target, columns, request.key);
    const redisKey = rowKey(target.namespace, key);
    const ts = request.ts.toString();

    let script: ScriptedWrite['script'];
    if (request.op === 'upsert') {
      const setColumns = checkedColumns(target, columns, request.values, key, () =>
        this.models.delete(target.table),
      );
      const set = setColumns.flatMap((name) => [
        name,
        toRedisField(columns.get(name)!, request.values[name]!),
      ]);
      const onCreate = key.flatMap(({ name, value }) => [name, keyToRedisField(value)]);
      const missing: string[] = [];
      for (const column of columns.values()) {
        if (
          column.name === 'wail_ts' ||
          column.keyPosition !== undefined ||
          setColumns.includes(column.name)
        )
          continue;
        if (column.defaultValue !== undefined)
          onCreate.push(column.name, toRedisField(column, column.defaultValue));
        else if (!column.optional) missing.push(column.name);
      }
      script = {
        command: 'wailUpsert',
        table: target.table,
        args: [
          ts,
          String(set.length / 2),
          ...set,
          String(onCreate.length / 2),
          ...onCreate,
          String(missing.length),
          ...missing,
        ],
      };
    } else {
      script = {
        command: 'wailDelete',
        table: target.table,
        args: [ts, String(this.tombstoneTtlMs)],
      };
    }
    const commands = this.client as unknown as ScriptCommands;
    const prepared: ScriptedWrite = {
      request,
      key,
      script: { ...script, args: [redisKey, ...script.args] },
      execute: async () => {
        try {
          const [first, ...rest] = prepared.script.args;
          await commands[script.command](first!, ...rest);
        } catch (error) {
          throw translateRedisError(error, { table: target.table });
        }
      },
    };
    return prepared;
  }

  /**
   * One pipeline for all the writes (one round trip); each script is still
   * atomic on its own, and writes of one key apply in the order given.
   */
  async executeMany(writes: readonly PreparedWrite[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = new Array(writes.length).fill(undefined);
    const pipelined: number[] = [];
    const others: number[] = [];
    writes.forEach((write, index) => (isScripted(write) ? pipelined : others).push(index));
    const runAlone = async (index: number) => {
      try {
        await writes[index]!.execute();
      } catch (error) {
        results[index] = error as Error;
      }
    };
    const runPipeline = async () => {
      if (pipelined.length === 0) return;
      if (pipelined.length === 1) return runAlone(pipelined[0]!);
      const pipeline = this.client.pipeline() as ChainableCommander & {
        [command: string]: (...args: string[]) => unknown;
      };
      for (const index of pipelined) {
        const { command, args } = (writes[index] as ScriptedWrite).script;
        pipeline[command]!(...args);
      }
      try {
        const replies = (await pipeline.exec()) ?? [];
        pipelined.forEach((index, position) => {
          const error =
            replies[position]?.[0] ?? (replies[position] ? null : new Error('no reply'));
          if (error)
            results[index] = translateRedisError(error, {
              table: (writes[index] as ScriptedWrite).script.table,
            });
        });
      } catch (error) {
        const translated = translateRedisError(error);
        for (const index of pipelined) results[index] = translated;
      }
    };
    await Promise.all([runPipeline(), ...others.map(runAlone)]);
    return results;
  }

  /**
   * One SCAN batch of the table's keys (MATCH `<keyPrefix>:*`, COUNT the
   * limit), the cursor SCAN's own: a row may come twice, none is skipped,
   * and a page may be short or empty. Each key is decoded back into the
   * canonical key `rowKey` made it from; one `HMGET` per key (pipelined)
   * reads `wail_ts`, the tombstone marker, the key fields and the
   * conditions' fields. Left out: tombstones, hashes without a version,
   * and keys that are not this table's rows (another table's under a longer
   * prefix, whose components or key fields do not fit).
   *
   * SCAN's COUNT is a hint: a batch holding more rows than the limit is
   * split, its rows taken in digest order, the cursor naming the batch and
   * the last row returned (see `ScanPosition`). Should the keyspace shrink
   * between two such pages, Redis may return that batch with more buckets,
   * and a row of them that sorts before the last row would be missed: a
   * corner case of a corner case, as the batch's overflow itself is.
   */
  async scan(request: ScanRequest): Promise<ScanPage> {
    const { target } = request;
    const limit = checkedLimit(request.limit);
    const position = positionFromCursor(request.cursor);
    const columns = await this.columns(target);
    const conditions = checkedConditions(target, columns, request.where);
    const count = position.count ?? limit;
    let next: string;
    let redisKeys: string[];
    try {
      [next, redisKeys] = await this.client.scan(
        position.scan,
        'MATCH',
        matchPattern(target.namespace),
        'COUNT',
        count,
      );
    } catch (error) {
      const translated = translateRedisError(error, { table: target.table });
      if (error instanceof Error && /invalid cursor/i.test(error.message)) throw badScanCursor();
      throw translated;
    }
    const candidates = new Map<string, KeyColumn[]>();
    for (const redisKey of redisKeys) {
      const key = keyFromRowKey(target, columns, redisKey);
      if (key) candidates.set(redisKey, key);
    }
    const filterFields = conditions
      .map(({ column }) => column.name)
      .filter((name) => !target.keyColumns.includes(name) && name !== 'wail_ts');
    const fields = ['wail_ts', DELETED_FIELD, ...target.keyColumns, ...new Set(filterFields)];
    const found: (ScannedRow & { digest: string })[] = [];
    if (candidates.size > 0) {
      const pipeline = this.client.pipeline();
      for (const redisKey of candidates.keys()) pipeline.hmget(redisKey, ...fields);
      let replies: [Error | null, unknown][];
      try {
        replies = (await pipeline.exec()) ?? [];
      } catch (error) {
        throw translateRedisError(error, { table: target.table });
      }
      [...candidates].forEach(([redisKey, key], index) => {
        const [error, reply] = replies[index] ?? [new Error('no reply'), undefined];
        // A key that is not a hash (WRONGTYPE) is not a row.
        if (error || !Array.isArray(reply)) return;
        const values = reply as (string | null)[];
        const byField = new Map(fields.map((field, at) => [field, values[at] ?? null]));
        const version = byField.get('wail_ts');
        if (!version || !/^-?\d{1,20}$/.test(version) || byField.get(DELETED_FIELD) !== null)
          return;
        if (key.some(({ name, value }) => byField.get(name) !== keyToRedisField(value))) return;
        const rowValue = (name: string) => {
          if (name === 'wail_ts') return BigInt(version);
          const keyColumn = key.find((column) => column.name === name);
          if (keyColumn)
            return keyColumn.value instanceof Uint8Array
              ? Buffer.from(keyColumn.value)
              : keyColumn.value;
          const column = columns.get(name)!;
          const text = byField.get(name) ?? defaultField(column);
          return text === undefined || text === null ? null : fromRedisField(column, text);
        };
        if (!conditions.every((condition) => holds(condition, rowValue(condition.column.name))))
          return;
        found.push({ key, version: BigInt(version), digest: keyDigest(redisKey) });
      });
    }
    found.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    const rest =
      position.after === undefined ? found : found.filter(({ digest }) => digest > position.after!);
    const toRow = ({ key, version }: ScannedRow): ScannedRow => ({ key, version });
    if (rest.length > limit) {
      const page = rest.slice(0, limit);
      return {
        rows: page.map(toRow),
        cursor: batchCursor(position.scan, count, page[page.length - 1]!.digest),
      };
    }
    return { rows: rest.map(toRow), cursor: next === '0' ? undefined : next };
  }

  async read(
    target: TableRef,
    rawKey: readonly KeyColumn[],
    _consistency: ReadConsistency,
  ): Promise<ReadResult> {
    const columns = await this.columns(target);
    const key = canonicalKeyColumns(target, columns, rawKey);
    let hash: Record<string, string>;
    try {
      hash = await this.client.hgetall(rowKey(target.namespace, key));
    } catch (error) {
      throw translateRedisError(error, { table: target.table });
    }
    const version = hash['wail_ts'];
    if (version === undefined) return { state: 'absent', deletedTs: undefined };
    if (!/^-?\d{1,20}$/.test(version))
      throw new WailError(
        'DATABASE_REJECTED',
        `the Redis hash of this key in ${target.table} has a wail_ts that is not a version; it was not written by WAIL`,
      );
    if (hash[DELETED_FIELD] !== undefined) return { state: 'absent', deletedTs: BigInt(version) };
    const row: Record<string, StoredValue> = {};
    for (const column of columns.values()) {
      if (column.name === 'wail_ts') continue;
      const text = hash[column.name] ?? defaultField(column);
      row[column.name] = text === undefined ? null : fromRedisField(column, text);
    }
    return { state: 'present', row, wailTs: BigInt(version) };
  }
}
