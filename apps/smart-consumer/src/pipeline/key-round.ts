import { routeTarget, type TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import { WailError, isWailError, type ErrorCode } from '@wail/errors';
import type { Intent } from '@wail/intent';
import type { IncomingRecord } from '@wail/kafka';
import type { ReadConsistency, ReadResult, RowStore, StoreKind } from '@wail/store';
import type { Logger } from '@wail/telemetry';
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
  metrics: Pick<ConsumerMetrics, 'reads'>;
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

/** Whether the row (or its recorded delete) already reflects the intent — itself or a newer write. */
export function materialized(state: ReadResult, intent: Intent): boolean {
  if (state.state === 'present') return state.wailTs >= intent.ts;
  return state.deletedTs !== undefined && state.deletedTs >= intent.ts;
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
 */
export class KeyRound<O extends KeyOwner> {
  constructor(private readonly deps: KeyRoundDeps<O>) {}

  async run(key: ScheduledKey<O>): Promise<RoundEnd> {
    const pending = [...key.queue];
    if (pending.length === 0) return 'settled';
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

    const done = pending.filter((p) => materialized(state, p.intent));
    const notYet = pending.filter((p) => !materialized(state, p.intent));
    if (done.length > 0) {
      const version = versionToPublish(state, done, deps.published.get(key.id), deps.publishes);
      if (version !== undefined)
        await deps.outputs.publish(key, route, model, state, done, version);
      deps.finish(key, done);
    }
    const expired = expiredIntents(notYet, consistency, route.visibilityWindowMs, deps.now());
    if (expired.length > 0) {
      await deps.outputs.unmaterialized(key, route, state, expired);
      deps.finish(key, expired);
    }
    return notYet.length > expired.length ? 'retry' : 'settled';
  }
}
