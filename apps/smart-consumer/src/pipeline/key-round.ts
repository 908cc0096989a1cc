import { SpanKind } from '@opentelemetry/api';
import { routeTarget, type TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import { WailError, isWailError, type ErrorCode } from '@wail/errors';
import type { Intent } from '@wail/intent';
import type { IncomingRecord } from '@wail/kafka';
import type { ReadConsistency, ReadResult, RowStore, StoreKind } from '@wail/store';
import { contextFromHeaders, tracer, withSpan, type Logger } from '@wail/telemetry';
import type { KeyOwner, PendingIntent, RoundEnd, ScheduledKey } from './key-scheduler';
import type { ConsumerMetrics } from './metrics';
import type { ModelCache, ResolvedModel } from './model-cache';
import { eventVersion } from './output-records';

export interface DeadLetterReason {
  code: ErrorCode;
  message: string;
  attempts: number;
}

/** Where a round's decisions go: the outputs it asks for, built and delivered elsewhere. */
export interface RoundOutputs<O extends KeyOwner> {
  /** One event with the key's current state, answering `intents`; throws a non-retriable WailError when the event itself cannot be published. */
  publish(
    key: ScheduledKey<O>,
    route: TableRoute,
    model: ResolvedModel,
    state: ReadResult,
    intents: readonly PendingIntent[],
    version: bigint,
  ): Promise<void>;
  unmaterialized(
    key: ScheduledKey<O>,
    route: TableRoute,
    state: ReadResult,
    intents: readonly PendingIntent[],
  ): Promise<void>;
  deadLetter(
    owner: O,
    intents: readonly { record: IncomingRecord }[],
    reason: DeadLetterReason,
  ): Promise<void>;
}

export interface KeyRoundDeps<O extends KeyOwner> {
  routes: Pick<RouteCache, 'get'>;
  models: Pick<ModelCache, 'get'>;
  stores: ReadonlyMap<StoreKind, RowStore>;
  /** Why the model's event topic may not get events from intents of `intentTopic`; undefined when it may. */
  forbiddenTopic(eventTopic: string, intentTopic: string): string | undefined;
  /** Why this consumer cannot publish to a model's event cluster; undefined when it can. */
  eventClusterProblem?(cluster: string): string | undefined;
  /** The last version published per key. */
  published: { get(keyId: string): bigint | undefined };
  /** The delivery mode's say on publishing a version for these intents. */
  publishes(version: bigint, intents: readonly PendingIntent[]): boolean;
  outputs: RoundOutputs<O>;
  /** The intents are done with (published, recorded or dead-lettered): their offsets finish. */
  finish(key: ScheduledKey<O>, intents: readonly PendingIntent[]): void;
  metrics: Pick<ConsumerMetrics, 'reads' | 'visible'>;
  logger: Logger;
  graceMs: number;
  now: () => number;
}

/**
 * Failures that are the event's own — a row its model cannot represent, an
 * event too large for Kafka, an event topic this consumer may not write — are
 * dead-lettered at once: retrying builds the same event. Any other
 * non-retriable failure (no route, no model, a route that does not fit its
 * table) may be a table being set up or migrated, fixed in a moment: it is
 * dead-lettered once the key's grace period is over.
 */
const DEAD_LETTER_AT_ONCE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ENCODE_FAILED',
  'EVENT_TOO_LARGE',
  'EVENT_TOPIC_FORBIDDEN',
]);

/**
 * Retry or dead-letter, from the error catalogue (`retriable`): the code and
 * message to dead-letter with, or undefined to retry. A failure without a
 * WAIL code is a driver error no adapter translated: retried, like an outage.
 */
export function deadLetterFailure(
  error: unknown,
  pastGrace: boolean,
): { code: ErrorCode; message: string } | undefined {
  if (!isWailError(error) || error.retriable) return undefined;
  if (!DEAD_LETTER_AT_ONCE.has(error.code) && !pastGrace) return undefined;
  return { code: error.code, message: error.message };
}

/**
 * Whether the row (or its recorded delete) already reflects the intent — itself
 * or a newer write. A refresh only by a row at the version the scan read or a
 * newer one: an absent row never materializes it.
 */
export function materialized(state: ReadResult, intent: Intent): boolean {
  if (state.state === 'present') return state.wailTs >= intent.ts;
  if (intent.op === 'refresh') return false;
  return state.deletedTs !== undefined && state.deletedTs >= intent.ts;
}

/** What a round does with its refresh intents (backfill), given its read. */
export interface RefreshOutcome {
  /** The row shows the refresh's version or a newer one: publishable, unless a write of the round publishes. */
  visible: PendingIntent[];
  /** Done with, publishing nothing: covered by an event, or the row gone. */
  settled: PendingIntent[];
  /** Done with, publishing nothing: the row still older than the refresh on a strong read past the grace period. */
  stale: PendingIntent[];
  /** Read again: the read may lag. */
  waiting: PendingIntent[];
}

/**
 * Refresh intents (a backfill's "publish the row's current state unless an
 * event at that version or later was already published"), given the read and
 * `covered`, the newest version published for the key or about to be by the
 * round's writes:
 *
 * - at or below `covered`: settled, nothing to publish;
 * - the row at the refresh's version or newer: visible (published by itself
 *   only when no write of the round publishes);
 * - the row absent (deleted since the scan): settled, publishing nothing — a
 *   delete's own intent publishes the DELETE. A fast read may lag, so only a
 *   strong read (or a recorded delete at or after the scan's version) says so;
 * - the row older than the refresh (a lagging read, or a wrong clock or scan):
 *   waiting, until a strong read past the grace period settles it — never an
 *   unmaterialized record, since a refresh wrote nothing.
 */
export function sortRefreshes(
  state: ReadResult,
  refreshes: readonly PendingIntent[],
  covered: bigint | undefined,
  consistency: ReadConsistency,
  pastGrace: boolean,
): RefreshOutcome {
  const outcome: RefreshOutcome = { visible: [], settled: [], stale: [], waiting: [] };
  for (const p of refreshes) {
    const { ts } = p.intent;
    if (covered !== undefined && ts <= covered) outcome.settled.push(p);
    else if (materialized(state, p.intent)) outcome.visible.push(p);
    else if (
      state.state === 'absent' &&
      (consistency === 'strong' || (state.deletedTs !== undefined && state.deletedTs >= ts))
    )
      outcome.settled.push(p);
    else if (consistency === 'strong' && pastGrace) outcome.stale.push(p);
    else outcome.waiting.push(p);
  }
  return outcome;
}

/** The first read is fast; a retry reads strongly, since a fast read may lag. */
export function readConsistency(attempts: number): ReadConsistency {
  return attempts === 0 ? 'fast' : 'strong';
}

/**
 * The version to publish for materialized intents, or undefined for none:
 * versions never go backwards (nor repeat the last one published), and the
 * delivery mode may refuse a version these intents did not write.
 */
export function versionToPublish(
  state: ReadResult,
  done: readonly PendingIntent[],
  lastPublished: bigint | undefined,
  publishes: (version: bigint, intents: readonly PendingIntent[]) => boolean,
): bigint | undefined {
  const version = eventVersion(state)!;
  if (lastPublished !== undefined && version <= lastPublished) return undefined;
  return publishes(version, done) ? version : undefined;
}

/**
 * Intents not visible whose table's window (from the intent's ts) has closed.
 * Only a strong read may say a write never became visible: a fast one (a
 * lagging replica) may simply not show it yet.
 */
export function expiredIntents(
  notYet: readonly PendingIntent[],
  consistency: ReadConsistency,
  visibilityWindowMs: number,
  now: number,
): PendingIntent[] {
  if (consistency !== 'strong') return [];
  return notYet.filter((p) => now - Number(p.intent.ts / 1000n) > visibilityWindowMs);
}

/**
 * One round for one key (DESIGN "Smart consumer"): every pending intent, one
 * read, at most one event. Per intent:
 *
 * - materialized when the row's `wail_ts` ≥ the intent's ts (a present row),
 *   or the recorded delete's ts ≥ it (an absent row) — "≥" includes being
 *   superseded by a newer write, whose current state is what gets published;
 * - otherwise not visible yet: retried with backoff, reading strongly, until
 *   the table's visibility window closes, then recorded on the unmaterialized
 *   topic with the observed state.
 *
 * The event carries the current state at version = `wail_ts` (or the
 * delete's ts), only if newer than the last version published for the key.
 * A failure is retried or dead-lettered as the error catalogue says.
 *
 * Refresh intents (backfill, `sortRefreshes`) never change what the round's
 * writes produce: the writes decide first, as if no refresh were there; only
 * a round whose writes publish nothing may publish the current state for its
 * visible refreshes. A refresh never publishes a DELETE, never an older
 * version, and is never recorded unmaterialized.
 */
export class KeyRound<O extends KeyOwner> {
  private readonly tracer = tracer('smart-consumer');

  constructor(private readonly deps: KeyRoundDeps<O>) {}

  async run(key: ScheduledKey<O>): Promise<RoundEnd> {
    const pending = [...key.queue];
    if (pending.length === 0) return 'settled';
    // The round continues the trace the proxy started for the newest intent;
    // active, so the store read's span and the round's log lines join it.
    const newest = pending.reduce((a, b) => (b.intent.ts > a.intent.ts ? b : a));
    const span = this.tracer.startSpan(
      'wail.key.round',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'wail.table': newest.intent.table,
          'wail.intents': pending.length,
          'wail.attempt': key.attempts,
        },
      },
      contextFromHeaders(newest.record.headers),
    );
    try {
      return await withSpan(span, () => this.settle(key, pending));
    } finally {
      span.end();
    }
  }

  private async settle(key: ScheduledKey<O>, pending: PendingIntent[]): Promise<RoundEnd> {
    try {
      return await this.attempt(key, pending);
    } catch (caught) {
      if (key.owner.revoked) return 'settled';
      const failure = deadLetterFailure(
        caught,
        this.deps.now() - key.firstAttemptAt >= this.deps.graceMs,
      );
      if (failure) {
        await this.deps.outputs.deadLetter(key.owner, pending, {
          ...failure,
          attempts: key.attempts + 1,
        });
        this.deps.finish(key, pending);
        return 'settled';
      }
      this.deps.logger.warn(
        { err: caught, table: pending[0]!.intent.table, attempts: key.attempts },
        'intent round failed; retrying',
      );
      return 'retry';
    }
  }

  private async attempt(key: ScheduledKey<O>, pending: PendingIntent[]): Promise<RoundEnd> {
    const { deps } = this;
    const table = pending[0]!.intent.table;
    const route = await deps.routes.get(table);
    if (!route) throw new WailError('UNKNOWN_TABLE_PAST_GRACE', `table "${table}" has no route`);
    const model = await deps.models.get(table, route.modelVersion);
    if (!model) throw new WailError('MODEL_MISSING', `table "${table}" has no data model`);
    const forbidden = deps.forbiddenTopic(model.eventTopic, pending[0]!.record.topic);
    if (forbidden)
      throw new WailError(
        'EVENT_TOPIC_FORBIDDEN',
        `table "${table}", model version ${model.version}: ${forbidden}`,
      );
    const unreachable = deps.eventClusterProblem?.(model.eventCluster);
    if (unreachable)
      throw new WailError(
        'CLUSTER_NOT_CONFIGURED',
        `table "${table}", model version ${model.version}: ${unreachable}`,
      );
    const store = deps.stores.get(route.store);
    if (!store)
      throw new WailError(
        'STORE_NOT_CONFIGURED',
        `this consumer is not configured for ${route.store}`,
      );

    // Intents at or below a version already published for the key are
    // covered by that event: no read needed (a superseded write).
    const published = deps.published.get(key.id);
    if (published !== undefined && pending.every((p) => p.intent.ts <= published)) {
      deps.finish(key, pending);
      return 'settled';
    }

    const consistency = readConsistency(key.attempts);
    const state = await store.read(routeTarget(route), pending[0]!.intent.key, consistency);
    deps.metrics.reads.inc({ table, consistency });
    if (key.owner.revoked) return 'settled';
    deps.logger.debug(
      {
        table,
        consistency,
        state: state.state,
        version: eventVersion(state)?.toString(),
        intents: pending.length,
      },
      'key read',
    );

    const writes = pending.filter((p) => p.intent.op !== 'refresh');
    const done = writes.filter((p) => materialized(state, p.intent));
    const notYet = writes.filter((p) => !materialized(state, p.intent));
    // This read is the first to find them (they finish in this round).
    const readAt = deps.now();
    for (const p of done)
      deps.metrics.visible.observe(Math.max(0, readAt - Number(p.intent.ts / 1000n)) / 1000);
    const lastPublished = deps.published.get(key.id);
    let version =
      done.length > 0 ? versionToPublish(state, done, lastPublished, deps.publishes) : undefined;
    let answered = done;
    const refreshes = sortRefreshes(
      state,
      pending.filter((p) => p.intent.op === 'refresh'),
      version ?? lastPublished,
      consistency,
      deps.now() - key.firstAttemptAt >= deps.graceMs,
    );
    if (version === undefined && refreshes.visible.length > 0) {
      version = versionToPublish(state, refreshes.visible, lastPublished, deps.publishes);
      answered = refreshes.visible;
    }
    if (version !== undefined)
      await deps.outputs.publish(key, route, model, state, answered, version);
    const finished = [...done, ...refreshes.visible, ...refreshes.settled, ...refreshes.stale];
    if (finished.length > 0) deps.finish(key, finished);
    if (refreshes.stale.length > 0)
      deps.logger.warn(
        {
          table,
          version: eventVersion(state)?.toString(),
          refreshTs: refreshes.stale.map((p) => p.intent.ts.toString()),
        },
        'refresh intents newer than the row past the grace period: settled without an event (a wrong clock or scan?)',
      );
    const expired = expiredIntents(notYet, consistency, route.visibilityWindowMs, deps.now());
    if (expired.length > 0) {
      await deps.outputs.unmaterialized(key, route, state, expired);
      deps.finish(key, expired);
    }
    return notYet.length > expired.length || refreshes.waiting.length > 0 ? 'retry' : 'settled';
  }
}
