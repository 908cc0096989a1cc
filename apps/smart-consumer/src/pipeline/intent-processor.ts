import { routeTarget, type RouteCache, type TableRoute } from '@wail/control-plane';
import { SpanKind } from '@opentelemetry/api';
import { DEAD_LETTER_HEADERS } from '@wail/dead-letters';
import { WailError, isWailError, type ErrorCode } from '@wail/errors';
import {
  canonicalKeyString,
  decodeIntent,
  intentIdToString,
  keyScalarToJson,
  type Intent,
} from '@wail/intent';
import {
  recordSize,
  type GroupCommitLog,
  type IncomingBatch,
  type IncomingRecord,
  type OutgoingRecord,
} from '@wail/kafka';
import {
  type ReadConsistency,
  type ReadResult,
  type RowStore,
  type StoreKind,
  type StoredValue,
} from '@wail/store';
import { LruCache } from '@wail/runtime';
import { contextFromHeaders, traceHeaders, tracer, type Logger } from '@wail/telemetry';
import { toWireFormat } from './avro';
import { forbiddenEventTopic } from './event-topic-guard';
import { EventSizeBound } from './event-size';
import type { ConsumerMetrics } from './metrics';
import type { ModelCache, ResolvedModel } from './model-cache';
import { PartitionTracker } from './partition-tracker';

export interface ProcessorOptions {
  keyConcurrency: number;
  maxInFlightPerPartition: number;
  graceMs: number;
  /** A key's first read waits until its oldest pending intent is this old. */
  coalesceMs: number;
  /** Bytes of an event record (key, value, headers) beyond which it is dead-lettered EVENT_TOO_LARGE. */
  maxEventBytes: number;
  unmaterializedTopic: string;
  deadLetterTopic: string;
}

export interface PartitionControl {
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /** The next batch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: bigint): void;
}

/**
 * Exactly-once delivery (DESIGN promise 2): the outputs of a partition and its
 * committed offset go to Kafka in one transaction.
 */
export interface PartitionTransactions {
  /** Fences earlier owners of the partition; resolves with its committed offset (undefined when none). */
  claim(topic: string, partition: number): Promise<bigint | undefined>;
  /** One transaction: the records, then the group's offset for the partition. */
  commit(
    topic: string,
    partition: number,
    records: readonly OutgoingRecord[],
    offset: bigint,
  ): Promise<void>;
  release(topic: string, partition: number): Promise<void>;
}

export interface ProcessorDeps {
  routes: RouteCache;
  models: ModelCache;
  stores: ReadonlyMap<StoreKind, RowStore>;
  /** Events, unmaterialized records and dead letters go through one batching producer (at-least-once). */
  publisher: GroupCommitLog;
  /** Set in exactly-once mode: outputs wait in a per-partition outbox for the partition's next transaction. */
  transactions?: PartitionTransactions;
  control: PartitionControl;
  logger: Logger;
  metrics: ConsumerMetrics;
  options: ProcessorOptions;
  /** The intent topics consumed now, draining ones included (default: the routes' topics). */
  consumedTopics?: () => Iterable<string>;
  /** An event topic's `max.message.bytes`, when it is known: events above it are dead-lettered before Kafka refuses them. */
  topicLimit?: (topic: string) => Promise<number | undefined>;
  now?: () => number;
}

interface PendingIntent {
  intent: Intent;
  record: IncomingRecord;
}

class KeyState {
  readonly queue: PendingIntent[] = [];
  running = false;
  waiting = false;
  attempts = 0;
  firstAttemptAt = 0;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly partition: PartitionState,
  ) {}
}

interface OutboxEntry {
  records: OutgoingRecord[];
  minOffset: bigint;
  maxOffset: bigint;
}

class PartitionState {
  readonly tracker = new PartitionTracker();
  readonly keys = new Map<string, KeyState>();
  paused = false;
  revoked = false;
  // Exactly-once mode only:
  /** Outputs not committed yet, in the order they were produced. */
  readonly outbox: OutboxEntry[] = [];
  claimed = false;
  /** The claim in progress: batches that arrive meanwhile wait for it instead of claiming again. */
  claiming: Promise<void> | undefined;
  committing = false;
  /** The committed offset: where a replay of this partition starts. */
  base = 0n;
  /** The next offset expected from Kafka. */
  next = 0n;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
}

/** A failure that retrying cannot fix: the intent goes to the dead-letter topic. */
class Poison extends Error {
  constructor(
    readonly code:
      | ErrorCode
      | 'UNKNOWN_TABLE_PAST_GRACE'
      | 'MODEL_MISSING'
      | 'ENCODE_FAILED'
      | 'EVENT_TOPIC_FORBIDDEN',
    message: string,
  ) {
    super(message);
  }
}

const partitionId = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The smart consumer's core (DESIGN "Smart consumer"). Per partition: decode,
 * group by key; keys run in parallel up to a bound, one round at a time per
 * key; a round takes every pending intent of the key (coalescing them into one
 * read), reads the row (LOCAL_ONE / replica first, then LOCAL_QUORUM / primary),
 * and decides per intent:
 *
 * - materialized when the row's `wail_ts` ≥ the intent's ts (a present row),
 *   or the recorded delete's ts ≥ it (an absent row) — "≥" includes being
 *   superseded by a newer write, whose current state is what gets published;
 * - otherwise not visible yet: retried with backoff, escalating consistency,
 *   until the table's visibility window (from the intent's ts) closes, then
 *   recorded on the unmaterialized topic with the observed state.
 *
 * One event per round carries the current state at version = `wail_ts` (or
 * the delete's ts), and only if it is newer than the last version published
 * for the key: versions never go backwards. Poison (undecodable bytes, an
 * unknown table or missing model past the grace period, a row the model
 * cannot encode) goes to the dead-letter topic with the reason; the partition
 * keeps flowing. An offset finishes only when its intent is published,
 * recorded unmaterialized or dead-lettered.
 */
export class IntentProcessor {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly ready: KeyState[] = [];
  private active = 0;
  /**
   * The last version published per key, for the never-older guard and to skip
   * reads an event already covers. Bounded: for a key forgotten this way the
   * next round simply reads again; only a lagging replica read could then
   * publish an older version, which is why the bound is large.
   */
  private readonly lastPublished = new LruCache<string, bigint>(200_000);
  private readonly now: () => number;
  private readonly tracer = tracer('smart-consumer');
  private readonly eventSize: EventSizeBound;

  constructor(private readonly deps: ProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.eventSize = new EventSizeBound(deps.options.maxEventBytes, deps.topicLimit);
  }

  get inFlight(): number {
    let total = 0;
    for (const state of this.partitions.values()) total += state.tracker.inFlight;
    return total;
  }

  /** Safe offsets to commit: the lowest unfinished intent of every partition seen. */
  safeOffsets(): { topic: string; partition: number; offset: bigint }[] {
    const offsets: { topic: string; partition: number; offset: bigint }[] = [];
    for (const state of this.partitions.values()) {
      const offset = state.tracker.safeOffset();
      if (offset !== undefined && !state.revoked)
        offsets.push({ topic: state.topic, partition: state.partition, offset });
    }
    return offsets;
  }

  /** Keeps the partitions this member owns; forgets the others (their new owner replays from the committed offset). */
  retain(owned: ReadonlyMap<string, ReadonlySet<number>>): void {
    for (const state of this.partitions.values()) {
      if (owned.get(state.topic)?.has(state.partition)) continue;
      this.drop(state);
      void this.deps.transactions?.release(state.topic, state.partition);
    }
  }

  /**
   * Forgets a partition: its rounds stop, its uncommitted outputs are dropped
   * and, given `replayFrom`, its next batch starts there again.
   */
  private drop(state: PartitionState, replayFrom?: bigint): void {
    state.revoked = true;
    for (const key of state.keys.values()) clearTimeout(key.timer);
    this.partitions.delete(partitionId(state.topic, state.partition));
    // In exactly-once mode "published" means "in an outbox": what a dropped
    // outbox held was never committed and must be published again.
    if (this.deps.transactions) this.lastPublished.clear();
    if (state.paused) this.deps.control.resume(state.topic, state.partition);
    if (replayFrom !== undefined) this.deps.control.seek(state.topic, state.partition, replayFrom);
  }

  /**
   * Exactly-once mode: per partition, one transaction with the outputs that
   * are ready and the offset they complete. Outputs are committed in the order
   * they were produced (so per-key order holds) and only together with an
   * offset that covers all their intents and none of a later output's — a
   * replay from that offset neither misses nor repeats an output. A failed
   * transaction drops the partition's state and replays it from its
   * committed offset.
   */
  async commitTransactions(): Promise<void> {
    await Promise.all([...this.partitions.values()].map((state) => this.commitPartition(state)));
  }

  private async commitPartition(state: PartitionState): Promise<void> {
    const transactions = this.deps.transactions;
    if (!transactions || !state.claimed || state.revoked || state.committing) return;
    const safe = state.tracker.safeOffset();
    if (safe === undefined) return;
    const outbox = state.outbox;
    const { count: k, offset } = committable(outbox, safe);
    if (k === 0 && offset <= state.base) return;
    const entries = outbox.slice(0, k);
    state.committing = true;
    try {
      await transactions.commit(
        state.topic,
        state.partition,
        entries.flatMap((entry) => entry.records),
        offset,
      );
      this.deps.logger.debug(
        { topic: state.topic, partition: state.partition, offset: offset.toString(), outputs: k },
        'transaction committed',
      );
      if (state.revoked) return;
      outbox.splice(0, k);
      state.base = offset;
      this.maybeResume(state);
    } catch (error) {
      if (state.revoked) return;
      // An event topic refused an event as too large: its limit is lower than
      // we knew, and the replay dead-letters the event before sending it.
      if (isWailError(error) && error.code === 'PAYLOAD_TOO_LARGE') this.eventSize.forget();
      this.deps.logger.warn(
        { err: error, topic: state.topic, partition: state.partition, from: state.base.toString() },
        'transaction failed; replaying the partition from its committed offset',
      );
      this.drop(state, state.base);
    } finally {
      state.committing = false;
    }
  }

  /** Exactly-once mode: the first batch of a partition fences its earlier owners and starts at the committed offset. */
  private async claim(state: PartitionState, batch: IncomingBatch): Promise<IncomingRecord[]> {
    const transactions = this.deps.transactions!;
    const first = batch.records[0]?.offset;
    if (first === undefined) return [];
    if (!state.claimed) {
      try {
        state.claiming ??= transactions.claim(state.topic, state.partition).then((committed) => {
          state.base = committed ?? first;
          state.next = state.base;
          state.claimed = true;
          this.deps.logger.info(
            {
              topic: state.topic,
              partition: state.partition,
              committed: committed?.toString(),
              firstFetched: first.toString(),
            },
            'partition claimed',
          );
        });
        await state.claiming;
      } catch (error) {
        this.deps.logger.warn(
          { err: error, topic: state.topic, partition: state.partition },
          'could not claim the partition; retrying',
        );
        this.drop(state, first);
        await new Promise((resolve) => setTimeout(resolve, 500));
        return [];
      }
    }
    // A batch fetched before a rebalance or a restart of the Kafka consumer may
    // belong to another owner by now: the partition's next batch, or the gap
    // check below, picks up from where this member's commit is.
    if (state.revoked || batch.isStale()) return [];
    const records = batch.records.filter((record) => record.offset >= state.next);
    if (records.length === 0) return [];
    if (records[0]!.offset > state.next) {
      // The fetch position is past the committed offset (another owner's
      // commit, or our own dropped state): read from where the commit is.
      this.deps.control.seek(state.topic, state.partition, state.next);
      return [];
    }
    state.next = records.at(-1)!.offset + 1n;
    return records;
  }

  /** Hands outputs over: at once (at-least-once) or to the partition's outbox (exactly-once). */
  private async emit(
    state: PartitionState,
    records: OutgoingRecord[],
    offsets: readonly bigint[],
  ): Promise<void> {
    if (!this.deps.transactions) return this.deps.publisher.append(records);
    let minOffset = offsets[0]!;
    let maxOffset = offsets[0]!;
    for (const offset of offsets) {
      if (offset < minOffset) minOffset = offset;
      if (offset > maxOffset) maxOffset = offset;
    }
    state.outbox.push({ records, minOffset, maxOffset });
  }

  async onBatch(batch: IncomingBatch): Promise<void> {
    const id = partitionId(batch.topic, batch.partition);
    let state = this.partitions.get(id);
    if (!state) {
      state = new PartitionState(batch.topic, batch.partition);
      this.partitions.set(id, state);
    }
    const records = this.deps.transactions ? await this.claim(state, batch) : batch.records;
    if (state.revoked) return;
    // Every record of the batch is queued before any key starts a round, so
    // intents of one key that arrive together are answered by one read.
    const touched = new Set<KeyState>();
    for (const record of records) {
      state.tracker.track(record.offset);
      let intent: Intent;
      try {
        if (!record.value)
          throw new WailError('INTENT_MALFORMED', 'malformed intent: the record has no value');
        intent = decodeIntent(record.value);
      } catch (error) {
        // Undecodable bytes never reach a key: dead-letter, then finish the offset.
        const partitionState = state;
        void this.deadLetter(
          partitionState,
          [{ record }],
          isWailError(error) ? error.code : 'INTENT_MALFORMED',
          (error as Error).message,
          1,
        ).then(() => partitionState.tracker.finish(record.offset));
        continue;
      }
      this.deps.metrics.intents.inc({ table: intent.table });
      const keyId = canonicalKeyString(intent.table, intent.key);
      let key = state.keys.get(keyId);
      if (!key) {
        key = new KeyState(keyId, state);
        state.keys.set(keyId, key);
      }
      key.queue.push({ intent, record });
      touched.add(key);
    }
    for (const key of touched) this.schedule(key);
    if (!state.paused && this.held(state) > this.deps.options.maxInFlightPerPartition) {
      state.paused = true;
      this.deps.control.pause(state.topic, state.partition);
      this.deps.logger.warn(
        { topic: state.topic, partition: state.partition, inFlight: state.tracker.inFlight },
        'partition paused: too many unfinished intents',
      );
    }
  }

  /** Resolves when nothing is left in flight, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (this.inFlight > 0 && this.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    return this.inFlight === 0;
  }

  stop(): void {
    for (const state of this.partitions.values()) {
      state.revoked = true;
      for (const key of state.keys.values()) clearTimeout(key.timer);
    }
  }

  private schedule(key: KeyState): void {
    if (key.running || key.waiting || key.timer || key.partition.revoked) return;
    if (key.attempts === 0 && this.deps.options.coalesceMs > 0 && key.queue.length > 0) {
      // Let the write land and more intents of the key arrive before the first
      // read: the intent was logged just before its database write.
      const oldest = key.queue.reduce(
        (min, p) => (p.intent.ts < min ? p.intent.ts : min),
        key.queue[0]!.intent.ts,
      );
      const wait = Number(oldest / 1000n) + this.deps.options.coalesceMs - this.now();
      if (wait > 0) {
        key.timer = setTimeout(() => {
          key.timer = undefined;
          this.schedule(key);
        }, wait);
        return;
      }
    }
    if (this.active >= this.deps.options.keyConcurrency) {
      key.waiting = true;
      this.ready.push(key);
      return;
    }
    this.run(key);
  }

  private run(key: KeyState): void {
    key.running = true;
    this.active++;
    this.round(key)
      .catch((error: unknown) =>
        this.deps.logger.error({ err: error, key: key.id }, 'key round failed'),
      )
      .finally(() => {
        key.running = false;
        this.active--;
        if (key.queue.length === 0) {
          key.partition.keys.delete(key.id);
        } else if (!key.timer) {
          this.schedule(key);
        }
        this.maybeResume(key.partition);
        while (this.active < this.deps.options.keyConcurrency && this.ready.length > 0) {
          const next = this.ready.shift()!;
          next.waiting = false;
          if (!next.partition.revoked && !next.running && !next.timer) this.run(next);
        }
      });
  }

  private retryLater(key: KeyState): void {
    key.attempts++;
    const delay =
      Math.min(1000, 10 * 2 ** Math.min(key.attempts, 7)) * (0.75 + Math.random() * 0.5);
    key.timer = setTimeout(() => {
      key.timer = undefined;
      this.schedule(key);
    }, delay);
  }

  /** What a partition holds in memory: unfinished intents and uncommitted outputs. */
  private held(state: PartitionState): number {
    return state.tracker.inFlight + state.outbox.length;
  }

  private maybeResume(state: PartitionState): void {
    if (
      state.paused &&
      !state.revoked &&
      this.held(state) < this.deps.options.maxInFlightPerPartition / 2
    ) {
      state.paused = false;
      this.deps.control.resume(state.topic, state.partition);
      this.deps.logger.info(
        { topic: state.topic, partition: state.partition },
        'partition resumed',
      );
    }
  }

  private finish(key: KeyState, done: readonly PendingIntent[]): void {
    const finished = new Set(done);
    for (let i = key.queue.length - 1; i >= 0; i--)
      if (finished.has(key.queue[i]!)) key.queue.splice(i, 1);
    for (const pending of done) key.partition.tracker.finish(pending.record.offset);
    if (key.queue.length === 0) key.attempts = 0;
  }

  /** One round for one key: every pending intent, one read, at most one event. */
  private async round(key: KeyState): Promise<void> {
    const pending = [...key.queue];
    if (pending.length === 0) return;
    if (key.attempts === 0) key.firstAttemptAt = this.now();
    const table = pending[0]!.intent.table;
    try {
      const route = await this.deps.routes.get(table);
      if (!route)
        throw this.pastGrace(
          key,
          new Poison('UNKNOWN_TABLE_PAST_GRACE', `table "${table}" has no route`),
        );
      const model = await this.deps.models.get(table, route.modelVersion);
      if (!model)
        throw this.pastGrace(
          key,
          new Poison('MODEL_MISSING', `table "${table}" has no data model`),
        );
      const forbidden = forbiddenEventTopic(model.eventTopic, {
        consumed: [pending[0]!.record.topic, ...this.consumedTopics()],
        unmaterializedTopic: this.deps.options.unmaterializedTopic,
        deadLetterTopic: this.deps.options.deadLetterTopic,
      });
      if (forbidden)
        throw new Poison(
          'EVENT_TOPIC_FORBIDDEN',
          `table "${table}", model version ${model.version}: ${forbidden}`,
        );
      const store = this.deps.stores.get(route.store);
      if (!store)
        throw this.pastGrace(
          key,
          new Poison('DATABASE_UNAVAILABLE', `this consumer is not configured for ${route.store}`),
        );

      // Intents at or below a version already published for the key are
      // covered by that event: no read needed (a superseded write).
      const published = this.lastPublished.get(key.id);
      if (published !== undefined) {
        const covered = pending.filter((p) => p.intent.ts <= published);
        if (covered.length === pending.length) {
          this.finish(key, covered);
          return;
        }
      }

      const consistency: ReadConsistency = key.attempts === 0 ? 'fast' : 'strong';
      const state = await store.read(routeTarget(route), pending[0]!.intent.key, consistency);
      this.deps.metrics.reads.inc({ table, consistency });
      if (key.partition.revoked) return;
      this.deps.logger.debug(
        {
          table,
          consistency,
          state: state.state,
          version: (state.state === 'present' ? state.wailTs : state.deletedTs)?.toString(),
          intents: pending.length,
        },
        'key read',
      );

      const done = pending.filter((p) => materialized(state, p.intent));
      const notYet = pending.filter((p) => !materialized(state, p.intent));
      if (done.length > 0) {
        await this.publish(key, route, model, state, done);
        this.finish(key, done);
      }
      // Only a strong read may say a write never became visible: a fast one
      // (a lagging replica) may simply not show it yet.
      const expired =
        consistency === 'strong'
          ? notYet.filter(
              (p) => this.now() - Number(p.intent.ts / 1000n) > route.visibilityWindowMs,
            )
          : [];
      if (expired.length > 0) {
        await this.recordUnmaterialized(key.partition, route, state, expired);
        this.finish(key, expired);
      }
      if (notYet.length > expired.length) this.retryLater(key);
    } catch (caught) {
      if (key.partition.revoked) return;
      // What the catalogue says retrying cannot fix (a route that does not fit
      // its table, a key or value the store refuses) is poison — after the
      // grace period, since a table being migrated may be fixed in a moment.
      // Retrying it forever would hold the partition's committed offset.
      const error =
        isWailError(caught) && !caught.retriable
          ? this.pastGrace(key, new Poison(caught.code, caught.message))
          : caught;
      if (error instanceof Poison) {
        await this.deadLetter(key.partition, pending, error.code, error.message, key.attempts + 1);
        this.finish(key, pending);
        return;
      }
      this.deps.logger.warn(
        { err: error, table, attempts: key.attempts },
        'intent round failed; retrying',
      );
      this.retryLater(key);
    }
  }

  private consumedTopics(): Iterable<string> {
    if (this.deps.consumedTopics) return this.deps.consumedTopics();
    return [...this.deps.routes.all().values()].map((route) => route.intentTopic);
  }

  /** Unknown tables and missing models may be a moment away (a route being created): poison only after the grace period. */
  private pastGrace(key: KeyState, poison: Poison): Error {
    if (this.now() - key.firstAttemptAt >= this.deps.options.graceMs) return poison;
    return new WailError(
      'REPOSITORY_UNAVAILABLE',
      `${poison.message}; retrying within the grace period`,
    );
  }

  private async publish(
    key: KeyState,
    route: TableRoute,
    model: ResolvedModel,
    state: ReadResult,
    done: readonly PendingIntent[],
  ): Promise<void> {
    const version = state.state === 'present' ? state.wailTs : state.deletedTs!;
    const last = this.lastPublished.get(key.id);
    if (last !== undefined && version <= last) return;
    // Exactly-once: a version is published only by the intent that wrote it.
    // Superseded intents rely on the newer write's own intent, so a replay
    // after a crash can never publish a version a committed transaction
    // already holds.
    if (this.deps.transactions && !done.some((p) => p.intent.ts === version)) return;
    const newest = done.reduce((a, b) => (b.intent.ts > a.intent.ts ? b : a));
    // The event continues the trace the proxy started for the newest intent.
    const span = this.tracer.startSpan(
      'wail.event.publish',
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'wail.table': route.table, 'wail.intents': done.length },
      },
      contextFromHeaders(newest.record.headers),
    );
    try {
      await this.encodeAndSend(key, route, model, state, done, version, traceHeaders(span));
    } finally {
      span.end();
    }
  }

  private async encodeAndSend(
    key: KeyState,
    route: TableRoute,
    model: ResolvedModel,
    state: ReadResult,
    done: readonly PendingIntent[],
    version: bigint,
    trace: Record<string, string>,
  ): Promise<void> {
    const newest = done.reduce((a, b) => (b.intent.ts > a.intent.ts ? b : a));
    let record: OutgoingRecord;
    try {
      const keyRow: Record<string, StoredValue> = {};
      for (const column of newest.intent.key) {
        keyRow[column.name] =
          column.value instanceof Uint8Array ? Buffer.from(column.value) : column.value;
      }
      const keyRecord = model.keyMapper.map(keyRow);
      const envelope = {
        op: state.state === 'present' ? 'UPSERT' : 'DELETE',
        key: keyRecord,
        after: state.state === 'present' ? model.rowMapper.map(state.row) : null,
        version,
        source: {
          table: route.table,
          store: route.store,
          intentId: intentIdToString(newest.intent.intentId),
          intentTs: newest.intent.ts,
        },
        modelVersion: model.version,
      };
      record = {
        topic: model.eventTopic,
        key: toWireFormat(model.keySchemaId, model.keyType, keyRecord),
        value: toWireFormat(model.valueSchemaId, model.valueType, envelope),
        headers: { ...trace, 'wail.intent-id': intentIdToString(newest.intent.intentId) },
      };
    } catch (error) {
      throw new Poison(
        'ENCODE_FAILED',
        `the row cannot be encoded with model version ${model.version}: ${(error as Error).message}`,
      );
    }
    // An event Kafka cannot take is poison, not a reason to retry forever
    // while the partition's offsets wait behind it.
    const size = recordSize(record);
    const limit = await this.eventSize.limitFor(record.topic);
    if (size > limit.bytes) {
      throw new Poison(
        'EVENT_TOO_LARGE',
        `the event is ${size} bytes; the limit is ${limit.bytes} bytes (${limit.bound})`,
      );
    }
    try {
      await this.emit(
        key.partition,
        [record],
        done.map((p) => p.record.offset),
      );
    } catch (error) {
      if (isWailError(error) && error.code === 'PAYLOAD_TOO_LARGE') {
        this.eventSize.forget();
        throw new Poison('EVENT_TOO_LARGE', `${error.message}: topic ${model.eventTopic}`);
      }
      throw error;
    }
    this.lastPublished.set(key.id, version);
    this.deps.metrics.events.inc({
      table: route.table,
      op: state.state === 'present' ? 'upsert' : 'delete',
    });
    this.deps.metrics.lag.observe(
      Math.max(0, this.now() - Number(newest.intent.ts / 1000n)) / 1000,
    );
  }

  private async recordUnmaterialized(
    partition: PartitionState,
    route: TableRoute,
    state: ReadResult,
    expired: readonly PendingIntent[],
  ): Promise<void> {
    const observed =
      state.state === 'present'
        ? { state: 'present', wailTs: state.wailTs.toString() }
        : { state: 'absent', deletedTs: state.deletedTs?.toString() ?? null };
    await this.emit(
      partition,
      expired.map(({ intent, record }) => ({
        topic: this.deps.options.unmaterializedTopic,
        key: record.key,
        value: Buffer.from(
          JSON.stringify({
            intentId: intentIdToString(intent.intentId),
            table: intent.table,
            op: intent.op,
            key: Object.fromEntries(
              intent.key.map((column) => [column.name, keyScalarToJson(column.value)]),
            ),
            ts: intent.ts.toString(),
            proxyId: intent.proxyId,
            reason: `not visible within the visibility window of ${route.visibilityWindowMs} ms`,
            observed,
            recordedAt: new Date(this.now()).toISOString(),
            origin: {
              topic: record.topic,
              partition: record.partition,
              offset: record.offset.toString(),
            },
          }),
        ),
        headers: traceparent(record),
      })),
      expired.map(({ record }) => record.offset),
    );
    this.deps.metrics.unmaterialized.inc({ table: route.table }, expired.length);
    this.deps.logger.warn(
      { table: route.table, intents: expired.length },
      'intents recorded as unmaterialized',
    );
  }

  private async deadLetter(
    state: PartitionState,
    intents: readonly { record: IncomingRecord }[],
    code: string,
    message: string,
    attempts: number,
  ): Promise<void> {
    for (;;) {
      try {
        await this.emit(
          state,
          intents.map(({ record }) => ({
            topic: this.deps.options.deadLetterTopic,
            key: record.key,
            value: record.value,
            headers: {
              ...record.headers,
              [DEAD_LETTER_HEADERS.code]: code,
              [DEAD_LETTER_HEADERS.message]: message.slice(0, 1000),
              [DEAD_LETTER_HEADERS.originTopic]: record.topic,
              [DEAD_LETTER_HEADERS.originPartition]: String(record.partition),
              [DEAD_LETTER_HEADERS.originOffset]: record.offset.toString(),
              [DEAD_LETTER_HEADERS.attempts]: String(attempts),
              [DEAD_LETTER_HEADERS.failedAt]: new Date(this.now()).toISOString(),
            },
          })),
          intents.map(({ record }) => record.offset),
        );
        break;
      } catch (error) {
        if (state.revoked) return;
        this.deps.logger.warn({ err: error }, 'dead-letter topic unavailable; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    this.deps.metrics.deadLetters.inc({ code }, intents.length);
    this.deps.logger.error(
      { code, message, intents: intents.length, topic: state.topic, partition: state.partition },
      'intents dead-lettered',
    );
  }
}

/**
 * Which outputs of an outbox can commit now, and with which offset: the
 * longest prefix whose intents all lie below an offset that is at most
 * `safe` (the lowest unfinished intent) and at most the lowest intent of every
 * output left behind. Committing more would let a replay repeat an output;
 * committing a higher offset would let it skip one.
 */
export function committable(
  outbox: readonly { minOffset: bigint; maxOffset: bigint }[],
  safe: bigint,
): { count: number; offset: bigint } {
  const suffixMin: bigint[] = new Array<bigint>(outbox.length + 1);
  suffixMin[outbox.length] = safe;
  for (let i = outbox.length - 1; i >= 0; i--) {
    const own = outbox[i]!.minOffset;
    suffixMin[i] = own < suffixMin[i + 1]! ? own : suffixMin[i + 1]!;
  }
  let prefixMax = -1n;
  let count = 0;
  let offset = suffixMin[0]!;
  for (let i = 0; i <= outbox.length; i++) {
    if (prefixMax < suffixMin[i]!) {
      count = i;
      offset = suffixMin[i]!;
    }
    if (i < outbox.length && outbox[i]!.maxOffset > prefixMax) prefixMax = outbox[i]!.maxOffset;
  }
  return { count, offset };
}

/** Whether the row (or its recorded delete) already reflects the intent — itself or a newer write. */
export function materialized(state: ReadResult, intent: Intent): boolean {
  if (state.state === 'present') return state.wailTs >= intent.ts;
  return state.deletedTs !== undefined && state.deletedTs >= intent.ts;
}

function traceparent(record: IncomingRecord): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = record.headers[name];
    if (value) headers[name] = value;
  }
  return headers;
}
