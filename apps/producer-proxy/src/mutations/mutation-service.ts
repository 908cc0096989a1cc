import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ROUTE_REVISION_HEADER, routeTarget, type TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import { WailError, isWailError } from '@wail/errors';
import {
  type HybridLogicalClock,
  canonicalKey,
  encodeIntent,
  intentIdToString,
  keyScalarFromJson,
  newIntentId,
  type Intent,
  type KeyColumn,
} from '@wail/intent';
import { recordSize, type OutgoingRecord } from '@wail/kafka';
import {
  TurnBatcher,
  storedToJson,
  type JsonValue,
  type PreparedWrite,
  type RowStore,
  type StoreKind,
} from '@wail/store';
import { tableLabel, traceHeaders, tracer, withSpan, type Logger } from '@wail/telemetry';
import type { IntentBacklog } from './intent-backlog';
import type { IntentAppender, IntentRecord } from './intent-log';
import type { ProxyMetrics } from './metrics';

export interface MutationInput {
  table: string;
  op: 'upsert' | 'delete';
  key: Record<string, JsonValue>;
  values?: Record<string, JsonValue> | undefined;
}

export interface MutationResult {
  intentId: string;
  ts: number;
  intentLogged: boolean;
}

export type BatchItemResult =
  | ({ status: number } & MutationResult)
  | { status: number; error: { code: string; message: string } };

interface Planned {
  route: TableRoute;
  intent: Intent;
  record: OutgoingRecord;
  prepared: PreparedWrite;
}

export interface MutationServiceDeps {
  routes: RouteCache;
  stores: ReadonlyMap<StoreKind, RowStore>;
  log: IntentAppender;
  backlog: IntentBacklog;
  clock: HybridLogicalClock;
  proxyId: string;
  logger: Logger;
  metrics: ProxyMetrics;
  limits: MutationLimits;
  /** Single writes folded into one store call at most (default 8; 1: each its own). */
  writeFold?: number;
}

/** Bounds checked before an intent is appended: above them, 413 and nothing logged or written. */
export interface MutationLimits {
  /** Bytes of the canonical key (the intent record's Kafka key). */
  keyBytes: number;
  /** Bytes of the intent record: key, value and headers. */
  intentBytes: number;
}

/**
 * The write path. Per mutation: resolve the route; check the key and values
 * against the physical table (nothing is logged for a request that cannot
 * succeed); stamp it with the clock; log the intent (acks=all, group commit);
 * only then write the database with that timestamp.
 *
 * `transactional` tables: no intent, no write (503). `independent` tables: the
 * write goes ahead, the answer says `intentLogged: false`, and the intent waits
 * in a bounded backlog for Kafka to come back.
 */
export class MutationService {
  private readonly tracer = tracer('producer-proxy');
  /**
   * Single writes of one turn go to their store together: one Kafka response
   * acknowledges many intents at once, and their writes become one
   * `executeMany` (one statement per table on MySQL) instead of a round trip
   * each. Each write still gets its own outcome.
   */
  private readonly writes: TurnBatcher<PreparedWrite, Error | undefined>;

  constructor(private readonly deps: MutationServiceDeps) {
    this.writes = new TurnBatcher(deps.writeFold ?? DEFAULT_WRITE_FOLD);
  }

  async mutate(input: MutationInput): Promise<MutationResult> {
    const started = performance.now();
    const span = this.tracer.startSpan('wail.mutation', {
      kind: SpanKind.PRODUCER,
      attributes: { 'wail.table': input.table, 'wail.op': input.op },
    });
    // Active for the write: the driver's span and the log lines join the trace.
    return withSpan(span, async () => {
      try {
        const planned = await this.plan(input, traceHeaders(span));
        const [logged] = await this.appendIntents([planned]);
        if (logged instanceof Error) throw logged;
        await this.execute(planned);
        this.deps.metrics.mutations.inc({
          table: input.table,
          op: input.op,
          outcome: logged ? 'ok' : 'ok_unlogged',
        });
        return this.result(planned, logged!);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        this.deps.metrics.mutations.inc({
          table: this.tableLabel(input.table),
          op: input.op,
          outcome: isWailError(error) ? error.code : 'INTERNAL',
        });
        throw error;
      } finally {
        span.end();
        this.deps.metrics.latency.observe({ kind: 'single' }, (performance.now() - started) / 1000);
      }
    });
  }

  /**
   * A batch: items that fail validation get their error and are not logged;
   * the intents of the others go to Kafka in one request; then their writes
   * run, folded per store into as few statements as it allows.
   */
  async mutateBatch(inputs: readonly MutationInput[]): Promise<BatchItemResult[]> {
    const started = performance.now();
    const span = this.tracer.startSpan('wail.mutation.batch', {
      kind: SpanKind.PRODUCER,
      attributes: { 'wail.count': inputs.length },
    });
    const headers = traceHeaders(span);
    return withSpan(span, async () => {
      try {
        const results: BatchItemResult[] = new Array(inputs.length);
        const plans = await Promise.all(
          inputs.map(async (input, index) => {
            try {
              return { index, planned: await this.plan(input, headers) };
            } catch (error) {
              results[index] = failure(error);
              return undefined;
            }
          }),
        );
        const ready = plans.filter(
          (plan): plan is { index: number; planned: Planned } => plan !== undefined,
        );
        const logged = await this.appendIntents(ready.map((plan) => plan.planned));
        // One call per store: MySQL folds upserts of one table into one statement.
        const byStore = new Map<RowStore, number[]>();
        ready.forEach((plan, position) => {
          const outcome = logged[position]!;
          if (outcome instanceof Error) {
            results[plan.index] = failure(outcome);
            return;
          }
          const store = this.store(plan.planned.route);
          byStore.set(store, [...(byStore.get(store) ?? []), position]);
        });
        await Promise.all(
          [...byStore].map(async ([store, positions]) => {
            const outcomes = await store.executeMany(
              positions.map((position) => ready[position]!.planned.prepared),
            );
            positions.forEach((position, i) => {
              const { index, planned } = ready[position]!;
              const error = outcomes[i];
              results[index] = error
                ? failure(error)
                : { status: 200, ...this.result(planned, logged[position] === true) };
            });
          }),
        );
        for (const [index, result] of results.entries()) {
          this.deps.metrics.mutations.inc({
            table: this.tableLabel(inputs[index]!.table),
            op: inputs[index]!.op,
            outcome:
              'error' in result ? result.error.code : result.intentLogged ? 'ok' : 'ok_unlogged',
          });
        }
        return results;
      } finally {
        span.end();
        this.deps.metrics.latency.observe({ kind: 'batch' }, (performance.now() - started) / 1000);
      }
    });
  }

  /** The current row (strong read), for `GET /v1/tables/{table}/rows`. */
  async read(
    table: string,
    keyInput: Record<string, JsonValue>,
  ): Promise<{ row: Record<string, JsonValue>; wail_ts: JsonValue }> {
    const route = await this.route(table);
    const key = this.key(route, keyInput);
    const state = await this.store(route).read(routeTarget(route), key, 'strong');
    if (state.state === 'absent')
      throw new WailError('ROW_NOT_FOUND', `no row in ${table} with that key`);
    const row: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(state.row)) row[name] = storedToJson(value);
    return { row, wail_ts: storedToJson(state.wailTs) };
  }

  async route(table: string): Promise<TableRoute> {
    const route = await this.deps.routes.get(table);
    if (route) return route;
    if (!this.deps.routes.isLoaded) {
      throw new WailError(
        'REPOSITORY_UNAVAILABLE',
        'routes are not loaded yet: the schema repository has not answered',
      );
    }
    throw new WailError('UNKNOWN_TABLE', `table "${table.slice(0, 100)}" has no route`);
  }

  private async plan(input: MutationInput, headers: Record<string, string>): Promise<Planned> {
    // The HTTP schemas already refuse any other op; this keeps a caller that
    // bypasses them from logging a `refresh` (backfill's own intent, never a
    // client's) or having it written as a delete.
    const op: string = input.op;
    if (op !== 'upsert' && op !== 'delete')
      throw new WailError(
        'BAD_REQUEST',
        `op must be "upsert" or "delete" (got ${JSON.stringify(op).slice(0, 40)})`,
      );
    const route = await this.route(input.table);
    const key = this.key(route, input.key);
    // The bound first, on the key as sent (its encoding is the canonical one's
    // for strings): a huge key is refused before anything looks at it.
    this.assertKeyWithin(route, canonicalKey(route.table, key).length);
    const values =
      input.op === 'upsert' ? this.values(input.values ?? {}) : this.noValues(input.values);
    const ts = this.deps.clock.now();
    const prepared = await this.store(route).prepareWrite({
      target: routeTarget(route),
      op: input.op,
      key,
      values,
      ts,
    });
    const intent: Intent = {
      intentId: newIntentId(),
      table: route.table,
      op: input.op,
      key: [...prepared.key],
      ts,
      proxyId: this.deps.proxyId,
      ...(input.op === 'upsert'
        ? { columns: Object.keys(values).filter((name) => !route.keyColumns.includes(name)) }
        : {}),
    };
    // Both encoders hand back Buffers of their own: used as they are, not copied.
    const recordKey = canonicalKey(route.table, prepared.key);
    this.assertKeyWithin(route, recordKey.length);
    const { intentBytes } = this.deps.limits;
    const record: OutgoingRecord = {
      topic: route.intentTopic,
      key: recordKey,
      value: encodeIntent(intent),
      // Which route revision placed it: a consumer whose routes are older waits for them.
      headers: { ...headers, [ROUTE_REVISION_HEADER]: String(route.revision) },
    };
    const size = recordSize(record);
    if (size > intentBytes) {
      throw new WailError(
        'PAYLOAD_TOO_LARGE',
        `the intent for ${route.table} is ${size} bytes; the limit is ${intentBytes} bytes (WAIL_PROXY_INTENT_LIMIT)`,
      );
    }
    return { route, intent, record, prepared };
  }

  private assertKeyWithin(route: TableRoute, bytes: number): void {
    const { keyBytes } = this.deps.limits;
    if (bytes > keyBytes)
      throw new WailError(
        'PAYLOAD_TOO_LARGE',
        `the key of ${route.table} is ${bytes} bytes in canonical form; the limit is ${keyBytes} bytes (WAIL_PROXY_KEY_LIMIT)`,
      );
  }

  /**
   * Appends intents (one Kafka request for all of them); per plan: `true`
   * logged, `false` not logged but its independent table goes ahead (held in
   * the backlog), or the error that fails the plan's request.
   */
  private async appendIntents(plans: readonly Planned[]): Promise<(boolean | Error)[]> {
    if (plans.length === 0) return [];
    const outcomes = await Promise.allSettled(this.deps.log.appendEach(plans.map(intentRecord)));
    const errors = outcomes.map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as Error) : undefined,
    );
    // Independent ones in the same batch share the fate of transactional ones
    // when Kafka is unavailable: their write would be fine, but an
    // all-or-nothing answer is easier to reason about.
    const shareFate = plans.some(
      (plan, i) => errors[i] && retriable(errors[i]) && plan.route.failureMode === 'transactional',
    );
    let held = 0;
    const logged = plans.map((plan, i) => {
      const error = errors[i];
      if (!error) return true;
      // Kafka refused this intent (too large): it can never be logged, so it
      // fails its own request and is not held for re-append.
      if (!retriable(error) || shareFate) return error;
      this.deps.backlog.add(
        intentRecord(plan),
        plan.route.table,
        intentIdToString(plan.intent.intentId),
      );
      held++;
      return false;
    });
    if (held > 0) {
      this.deps.logger.warn(
        { err: errors.find(Boolean), intents: held },
        'intent log unavailable; independent writes proceed',
      );
    }
    return logged;
  }

  /** A series per table with a route; one for all the others. */
  private tableLabel(table: string): string {
    return tableLabel(this.deps.routes.all(), table);
  }

  private async execute(planned: Planned): Promise<void> {
    const store = this.store(planned.route);
    const failed = await this.writes.add(planned.route.store, planned.prepared, (writes) =>
      store.executeMany(writes),
    );
    if (failed) throw failed;
  }

  private result(planned: Planned, logged: boolean): MutationResult {
    return {
      intentId: intentIdToString(planned.intent.intentId),
      ts: Number(planned.intent.ts),
      intentLogged: logged,
    };
  }

  private store(route: TableRoute): RowStore {
    const store = this.deps.stores.get(route.store);
    if (!store)
      throw new WailError(
        'DATABASE_UNAVAILABLE',
        `this proxy is not configured for ${route.store} (WAIL_STORES)`,
      );
    return store;
  }

  private key(route: TableRoute, input: Record<string, JsonValue>): KeyColumn[] {
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw new WailError('BAD_REQUEST', '"key" must be an object');
    const extra = Object.keys(input).filter((name) => !route.keyColumns.includes(name));
    if (extra.length > 0) {
      throw new WailError(
        'BAD_REQUEST',
        `"key" has columns that are not key columns of ${route.table}: ${extra.join(', ')} (key: ${route.keyColumns.join(', ')})`,
      );
    }
    return route.keyColumns.map((name) => {
      const value = input[name];
      if (value === undefined || value === null)
        throw new WailError(
          'BAD_REQUEST',
          `"key" is missing key column "${name}" (key: ${route.keyColumns.join(', ')})`,
        );
      try {
        return { name, value: keyScalarFromJson(value) };
      } catch (error) {
        throw new WailError('BAD_REQUEST', `key column "${name}": ${(error as Error).message}`);
      }
    });
  }

  /** Key columns in `values` are checked by the store, against the canonical key. */
  private values(values: Record<string, JsonValue>): Record<string, JsonValue> {
    if (values === null || typeof values !== 'object' || Array.isArray(values))
      throw new WailError('BAD_REQUEST', '"values" must be an object');
    return values;
  }

  private noValues(values: Record<string, JsonValue> | undefined): Record<string, JsonValue> {
    if (
      values !== undefined &&
      (typeof values !== 'object' || values === null || Object.keys(values).length > 0)
    ) {
      throw new WailError('BAD_REQUEST', 'a delete takes no "values"');
    }
    return {};
  }
}

/**
 * Single writes folded into one `executeMany` at most, by default (as
 * WAIL_PROXY_WRITE_FOLD's): measured on MySQL against 8, about a fifth more
 * single writes/s and less CPU per write in the proxy, the consumer and the
 * database, with end-to-end p99 still under 100 ms at half the maximum
 * (tools/bench/results.md; a batch request's own limit is its size).
 */
const DEFAULT_WRITE_FOLD = 32;

function intentRecord(plan: Planned): IntentRecord {
  return { cluster: plan.route.intentCluster, record: plan.record };
}

function retriable(error: Error): boolean {
  return !isWailError(error) || error.retriable;
}

function failure(error: unknown): BatchItemResult {
  if (isWailError(error))
    return { status: error.statusCode, error: { code: error.code, message: error.message } };
  return { status: 500, error: { code: 'INTERNAL', message: 'internal error' } };
}
