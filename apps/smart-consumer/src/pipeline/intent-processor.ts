import { ROUTE_REVISION_HEADER, type DrainSource, type TableRoute } from '@wail/contracts';
import type { RouteCache } from '@wail/control-plane';
import { WailError, isWailError } from '@wail/errors';
import { canonicalKeyString, decodeIntent, type Intent } from '@wail/intent';
import type { IncomingBatch, IncomingRecord } from '@wail/kafka';
import type { RowStore, StoreKind } from '@wail/store';
import { tableLabel, type Logger } from '@wail/telemetry';
import type { Delivery, PartitionDelivery } from './delivery';
import { forbiddenEventTopic } from './event-topic-guard';
import { EventSizeBound } from './event-size';
import { KeyRound } from './key-round';
import { KeyScheduler, ScheduledKey } from './key-scheduler';
import type { ConsumerMetrics } from './metrics';
import type { ModelCache } from './model-cache';
import { OutputSink, type ClaimWriter, type OutputTarget } from './output-sink';
import { placedBy, placement, type Placement } from './moves';
import { PartitionTracker } from './partition-tracker';
import { PublishedVersions } from './published-versions';

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

export interface ProcessorDeps {
  routes: RouteCache;
  models: ModelCache;
  stores: ReadonlyMap<StoreKind, RowStore>;
  /** The delivery mode: at-least-once or exactly-once. */
  delivery: Delivery;
  control: PartitionControl;
  logger: Logger;
  metrics: ConsumerMetrics;
  options: ProcessorOptions;
  /**
   * Whether this consumer publishes a table (default: every table). An intent
   * of another table is skipped: its offset finishes at once, nothing is read,
   * published or dead-lettered — that table belongs to another consumer group
   * reading the same intent topic.
   */
  ownsTable?: (table: string) => boolean;
  /** The intent topics consumed now, draining ones included (default: the routes' topics). */
  consumedTopics?: () => Iterable<string>;
  /** An event topic's `max.message.bytes`, when it is known: events above it are dead-lettered before Kafka refuses them. */
  topicLimit?: (topic: string) => Promise<number | undefined>;
  /** The object store of claim checks (WAIL_S3_ENDPOINT); without it oversized events are dead-lettered. */
  claims?: ClaimWriter;
  /** Why this consumer cannot publish to an event cluster (default: it can publish anywhere). */
  eventClusterProblem?: (cluster: string) => string | undefined;
  /** Tables moving between intent locations (moves.ts); without it every intent is processed where it is read. */
  moves?: MoveDeps;
  now?: () => number;
}

export interface MoveDeps {
  /** The cluster this consumer reads intents from. */
  cluster: string;
  /** Whether every partition of a move's old location has been announced drained. */
  drained(table: string, source: DrainSource): boolean;
  /** Appends an intent record to its route's intent topic on its route's cluster. */
  forward(route: TableRoute, record: IncomingRecord): Promise<void>;
}

class PartitionState implements OutputTarget {
  readonly tracker = new PartitionTracker();
  readonly keys = new Map<string, ScheduledKey<PartitionState>>();
  /** Keys of moving tables not scheduled yet (`Placement` hold). */
  readonly held = new Set<ScheduledKey<PartitionState>>();
  /** Per table, the offset of the last intent processed here (for drain announcements). */
  readonly inPlace = new Map<string, bigint>();
  readonly delivery: PartitionDelivery;
  paused = false;
  /** Paused for a clean cut (exactly-once): fetching resumes once the outputs commit. */
  cutting = false;
  revoked = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    open: (state: PartitionState) => PartitionDelivery,
  ) {
    this.delivery = open(this);
  }
}

const partitionId = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The smart consumer's core (DESIGN "Smart consumer"): holds the partitions
 * this member owns. Per partition: decode, group by key, hand keys to the
 * scheduler (keys in parallel up to a bound, one round at a time per key);
 * a round (`KeyRound`) decides, the sink builds and delivers its outputs, the
 * delivery mode commits. Undecodable bytes go to the dead-letter topic. An
 * offset finishes only when its intent is published, recorded unmaterialized
 * or dead-lettered; a partition holding too much pauses fetching.
 */
export class IntentProcessor {
  private readonly partitions = new Map<string, PartitionState>();
  /** The last version published per key, for the never-older guard and to skip reads an event already covers. */
  private readonly lastPublished = new PublishedVersions();
  private readonly now: () => number;
  private readonly eventSize: EventSizeBound;
  private readonly outputs: OutputSink;
  private readonly scheduler: KeyScheduler<PartitionState>;

  constructor(private readonly deps: ProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.eventSize = new EventSizeBound(deps.options.maxEventBytes, deps.topicLimit);
    const { options, logger } = deps;
    this.outputs = new OutputSink({
      unmaterializedTopic: options.unmaterializedTopic,
      deadLetterTopic: options.deadLetterTopic,
      eventSize: this.eventSize,
      claims: deps.claims,
      metrics: deps.metrics,
      logger,
      now: this.now,
    });
    const round = new KeyRound<PartitionState>({
      routes: deps.routes,
      models: deps.models,
      stores: deps.stores,
      forbiddenTopic: (eventTopic, intentTopic) =>
        forbiddenEventTopic(eventTopic, {
          consumed: [intentTopic, ...this.consumedTopics()],
          unmaterializedTopic: options.unmaterializedTopic,
          deadLetterTopic: options.deadLetterTopic,
        }),
      ...(deps.eventClusterProblem ? { eventClusterProblem: deps.eventClusterProblem } : {}),
      published: this.lastPublished,
      publishes: (version, intents) => deps.delivery.publishes(version, intents),
      outputs: this.outputs,
      finish: (key, done) => {
        this.scheduler.finish(key, done);
        for (const pending of done) key.owner.tracker.finish(pending.record.offset);
      },
      metrics: deps.metrics,
      logger,
      graceMs: options.graceMs,
      now: this.now,
    });
    this.scheduler = new KeyScheduler<PartitionState>(
      { concurrency: options.keyConcurrency, coalesceMs: options.coalesceMs, now: this.now },
      (key) => round.run(key),
      (key) => {
        if (key.queue.length === 0) key.owner.keys.delete(key.id);
        // Held while its round ran (a newer route placed one of its intents): placed now.
        if (key.held) this.replace(key.owner, key);
        this.maybeResume(key.owner);
      },
      (error, key) => logger.error({ err: error, key: key.id }, 'key round failed'),
    );
  }

  /** See KeyScheduler: how long an idle key's first read waits now. */
  get firstReadDelayMs(): number {
    return this.scheduler.firstReadDelayMs;
  }

  /** Outputs waiting in the partitions' outboxes for their transaction (exactly-once; 0 otherwise). */
  get outboxOutputs(): number {
    let total = 0;
    for (const state of this.partitions.values()) total += state.delivery.held;
    return total;
  }

  get heldIntents(): number {
    let total = 0;
    for (const state of this.partitions.values())
      for (const key of state.held) total += key.queue.length;
    return total;
  }

  /**
   * What of `table` this member processes in place on a partition: whether a
   * key of it is unfinished, and the offset of its last intent processed here.
   */
  inPlaceWork(
    topic: string,
    partition: number,
    table: string,
  ): { active: boolean; lastOffset: bigint | undefined } {
    const state = this.partitions.get(partitionId(topic, partition));
    if (!state) return { active: false, lastOffset: undefined };
    let active = false;
    for (const key of state.keys.values())
      if (key.queue[0]?.intent.table === table && (key.running || !key.held)) active = true;
    return { active, lastOffset: state.inPlace.get(table) };
  }

  /** Routes changed, a move drained, or time passed: held keys are placed again. */
  reconsider(): void {
    for (const state of this.partitions.values())
      for (const key of [...state.held]) this.replace(state, key);
  }

  /** Places a held key again; a key whose round is running waits for its end. */
  private replace(state: PartitionState, key: ScheduledKey<PartitionState>): void {
    if (key.running || state.revoked) return;
    const decided = this.placeKey(state, key);
    if (decided === 'hold') return;
    state.held.delete(key);
    key.held = false;
    if (decided === 'forward') {
      for (const pending of key.queue.splice(0))
        this.forward(state, pending.intent.table, pending.record);
      state.keys.delete(key.id);
    } else {
      for (const pending of key.queue)
        state.inPlace.set(pending.intent.table, pending.record.offset);
      this.scheduler.schedule(key);
    }
  }

  get inFlight(): number {
    let total = 0;
    for (const state of this.partitions.values()) total += state.tracker.inFlight;
    return total;
  }

  /** The next offset to commit for a partition this member holds (everything below it is done); undefined before a record of it arrived. */
  position(topic: string, partition: number): bigint | undefined {
    const state = this.partitions.get(partitionId(topic, partition));
    return state && !state.revoked ? state.tracker.safeOffset() : undefined;
  }

  /** The Kafka timestamp of the oldest intent of a partition this member holds and has not finished (PartitionTracker.oldestTimestamp). */
  oldestTimestamp(topic: string, partition: number): number | undefined {
    const state = this.partitions.get(partitionId(topic, partition));
    return state && !state.revoked ? state.tracker.oldestTimestamp() : undefined;
  }

  /** Keeps the partitions this member owns; forgets the others (their new owner replays from the committed offset). */
  retain(owned: ReadonlyMap<string, ReadonlySet<number>>): void {
    for (const state of this.partitions.values()) {
      if (owned.get(state.topic)?.has(state.partition)) continue;
      this.drop(state);
      state.delivery.released();
    }
  }

  async onBatch(batch: IncomingBatch): Promise<void> {
    const id = partitionId(batch.topic, batch.partition);
    let state = this.partitions.get(id);
    if (!state) {
      state = this.hold(batch.topic, batch.partition);
      this.partitions.set(id, state);
    }
    const records = await state.delivery.admit(batch);
    if (state.revoked) return;
    // Every record of the batch is queued before any key starts a round, so
    // intents of one key that arrive together are answered by one read.
    const touched = new Set<ScheduledKey<PartitionState>>();
    for (const record of records) {
      state.tracker.track(record.offset, record.timestamp);
      const intent = this.decode(state, record);
      if (!intent) continue;
      if (this.deps.ownsTable && !this.deps.ownsTable(intent.table)) {
        this.deps.metrics.skipped.inc({
          reason: 'table-set',
          table: this.tableLabel(intent.table),
        });
        state.tracker.finish(record.offset);
        continue;
      }
      const keyId = canonicalKeyString(intent.table, intent.key);
      let key = state.keys.get(keyId);
      const placed = key && state.held.has(key) ? 'hold' : this.place(state, intent.table, record);
      if (placed === 'forward') {
        this.forward(state, intent.table, record);
        continue;
      }
      this.deps.metrics.intents.inc({ table: this.tableLabel(intent.table) });
      if (!key) {
        key = new ScheduledKey(keyId, state);
        state.keys.set(keyId, key);
      }
      key.queue.push({ intent, record });
      if (placed === 'hold') {
        state.held.add(key);
        if (!key.held) key.heldSince = this.now();
        key.held = true;
      } else {
        state.inPlace.set(intent.table, record.offset);
        touched.add(key);
      }
    }
    for (const key of touched) if (!state.held.has(key)) this.scheduler.schedule(key);
    if (!state.paused && this.held(state) > this.deps.options.maxInFlightPerPartition) {
      state.paused = true;
      this.deps.control.pause(state.topic, state.partition);
      this.deps.logger.warn(
        { topic: state.topic, partition: state.partition, inFlight: state.tracker.inFlight },
        'partition paused: too many unfinished intents',
      );
    }
  }

  /** An intent's table names a series only when it has a route: its bytes may name anything. */
  private tableLabel(table: string): string {
    return tableLabel(this.deps.routes.all(), table);
  }

  /**
   * Where an intent goes (moves.ts). An intent placed by a newer route than
   * this consumer knows waits for the routes at most the grace period
   * (`heldSince`): a repository restored to an older revision, or a forged
   * header, cannot hold a partition forever.
   */
  private place(
    state: PartitionState,
    table: string,
    record: IncomingRecord,
    heldSince?: number,
  ): Placement {
    const moves = this.deps.moves;
    const route = moves && this.deps.routes.all().get(table);
    if (!moves || !route) return 'process';
    const waitedOut = heldSince !== undefined && this.now() - heldSince > this.deps.options.graceMs;
    return placement(
      route,
      { intentCluster: moves.cluster, intentTopic: state.topic },
      {
        by: placedBy(record.headers, ROUTE_REVISION_HEADER),
        known: this.deps.routes.revision,
        waitedOut,
      },
      (t, source) => moves.drained(t, source),
    );
  }

  /** A held key is placed as a whole: held while any of its intents is. */
  private placeKey(state: PartitionState, key: ScheduledKey<PartitionState>): Placement {
    let decided: Placement = 'process';
    for (const pending of key.queue) {
      const placed = this.place(state, pending.intent.table, pending.record, key.heldSince);
      if (placed === 'hold') return 'hold';
      if (placed === 'forward') decided = 'forward';
    }
    return decided;
  }

  /**
   * Forwards an intent to where its table logs now; its offset finishes once
   * the append is acknowledged. Retried, with backoff, while it cannot be —
   * Kafka unavailable, or a cluster this consumer has no brokers for (fix
   * WAIL_KAFKA_CLUSTERS: nothing is lost meanwhile) — except an intent the
   * new topic refuses for its size, which is dead-lettered.
   */
  private forward(state: PartitionState, table: string, record: IncomingRecord, attempt = 0): void {
    if (state.revoked) return;
    const route = this.deps.routes.all().get(table);
    if (!route) {
      // The route is gone since: the table's intents are handled as any unknown table's.
      this.requeue(state, table, record);
      return;
    }
    this.deps.moves!.forward(route, record).then(
      () => {
        this.deps.metrics.forwarded.inc({ table: route.table });
        state.tracker.finish(record.offset);
        this.maybeResume(state);
      },
      (error: unknown) => {
        if (state.revoked) return;
        if (isWailError(error) && error.code === 'PAYLOAD_TOO_LARGE') {
          void this.outputs
            .deadLetter(state, [{ record }], {
              code: error.code,
              message: error.message,
              attempts: attempt + 1,
            })
            .then(() => {
              state.tracker.finish(record.offset);
              this.maybeResume(state);
            });
          return;
        }
        if (attempt % 20 === 0)
          this.deps.logger.warn(
            { err: error, table: route.table, to: route.intentCluster, attempt },
            'forwarding an intent of a moved table failed; retrying',
          );
        const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
        setTimeout(() => this.forward(state, table, record, attempt + 1), delay).unref();
      },
    );
  }

  /** An intent whose forwarding found no route: decoded again and processed here as usual. */
  private requeue(state: PartitionState, table: string, record: IncomingRecord): void {
    const intent = decodeIntent(record.value!);
    const keyId = canonicalKeyString(table, intent.key);
    let key = state.keys.get(keyId);
    if (!key) {
      key = new ScheduledKey(keyId, state);
      state.keys.set(keyId, key);
    }
    key.queue.push({ intent, record });
    if (!state.held.has(key)) this.scheduler.schedule(key);
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
      for (const key of state.keys.values()) this.scheduler.cancel(key);
    }
  }

  private hold(topic: string, partition: number): PartitionState {
    return new PartitionState(topic, partition, (state) =>
      this.deps.delivery.open({
        topic,
        partition,
        get revoked() {
          return state.revoked;
        },
        safeOffset: () => state.tracker.safeOffset(),
        seek: (offset) => this.deps.control.seek(topic, partition, offset),
        replay: (offset) => this.drop(state, offset),
        relieved: () => {
          state.cutting = false;
          this.maybeResume(state);
        },
        cut: () => this.cut(state),
        published: this.lastPublished,
        eventLimitsStale: () => this.eventSize.forget(),
      }),
    );
  }

  /** The intent of a record; undecodable bytes never reach a key: dead-lettered, then their offset finishes. */
  private decode(state: PartitionState, record: IncomingRecord): Intent | undefined {
    try {
      if (!record.value)
        throw new WailError('INTENT_MALFORMED', 'malformed intent: the record has no value');
      return decodeIntent(record.value);
    } catch (error) {
      void this.outputs
        .deadLetter(state, [{ record }], {
          code: isWailError(error) ? error.code : 'INTENT_MALFORMED',
          message: (error as Error).message,
          attempts: 1,
        })
        .then(() => state.tracker.finish(record.offset));
      return undefined;
    }
  }

  /**
   * Forgets a partition: its rounds stop, its undelivered outputs are dropped
   * and, given `replayFrom`, its next batch starts there again.
   */
  private drop(state: PartitionState, replayFrom?: bigint): void {
    state.revoked = true;
    for (const key of state.keys.values()) this.scheduler.cancel(key);
    this.partitions.delete(partitionId(state.topic, state.partition));
    state.delivery.dropped();
    if (state.paused) this.deps.control.resume(state.topic, state.partition);
    if (replayFrom !== undefined) this.deps.control.seek(state.topic, state.partition, replayFrom);
  }

  private consumedTopics(): Iterable<string> {
    if (this.deps.consumedTopics) return this.deps.consumedTopics();
    return [...this.deps.routes.all().values()].map((route) => route.intentTopic);
  }

  /** What a partition holds in memory: unfinished intents and undelivered outputs. */
  private held(state: PartitionState): number {
    return state.tracker.inFlight + state.delivery.held;
  }

  /**
   * Stops fetching the partition until its outputs commit: the rounds under
   * way finish, their outputs no longer overlap newer ones, and the outbox
   * commits as a whole (exactly-once under sustained load, where hot keys'
   * rounds overlap without end).
   */
  private cut(state: PartitionState): void {
    if (state.cutting || state.revoked) return;
    state.cutting = true;
    if (state.paused) return;
    state.paused = true;
    this.deps.control.pause(state.topic, state.partition);
    this.deps.logger.info(
      { topic: state.topic, partition: state.partition, outputs: state.delivery.held },
      'partition paused for a clean cut: its outputs have not committed for two commit intervals',
    );
  }

  private maybeResume(state: PartitionState): void {
    if (
      state.paused &&
      !state.cutting &&
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
}
