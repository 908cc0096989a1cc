import { randomBytes } from 'node:crypto';
import { isWailError } from '@wail/errors';
import { PartitionConsumer, type IncomingBatch, type KafkaClient } from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import type { Subscription } from '../subscriptions/subscription';
import type { ChangeDecoder, DecodedChange } from './change';
import { encodeCursor, type Cursor } from './cursor';
import type { GatewayMetrics } from './metrics';
import type { TableTopics } from './table-topics';

/** One change on its way to a subscriber. */
export interface Delivery extends DecodedChange {
  /** The position just after this change (SSE `id:`, what an ack names). */
  cursor: string;
  topic: string;
  partition: number;
  offset: bigint;
}

/** Where a reader's changes go, one at a time, in stream order. */
export interface DeliverySink {
  /** Resolves once the change is handed over (written to the socket, queued for a call): backpressure. */
  deliver(delivery: Delivery): Promise<void>;
}

export interface ReaderOptions {
  kafka: KafkaClient;
  subscription: Subscription;
  groupId: string;
  topics: TableTopics;
  decoder: ChangeDecoder;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Changes delivered past the last acknowledged one before delivery waits. */
  maxUnacked: number;
  /** With unacknowledged changes and no ack for this long, rewind to the acknowledged position. */
  ackTimeoutMs: number | undefined;
  /** Where to resume (`Last-Event-ID`); partitions it does not name resume from the committed offsets. */
  resumeFrom?: Cursor;
  /**
   * Positions the group is to be at least at: where `start` put the cursor,
   * and acknowledgements that came while no stream ran. Committed once the
   * partitions are assigned.
   */
  baseline?: Offsets;
}

type Offsets = Map<string, Map<number, bigint>>;

const copy = (offsets: Offsets): Offsets =>
  new Map([...offsets].map(([topic, partitions]) => [topic, new Map(partitions)]));

/**
 * Reads one subscription's tables for one stream: its own consumer group
 * (the server-side cursor) whose offsets move only when the subscriber
 * acknowledges, a position per partition that every change's cursor carries,
 * and bounded delivery: at most `maxUnacked` changes beyond the last ack, and
 * a stream that stops acknowledging is rewound and redelivers.
 */
export class SubscriptionReader {
  private readonly session = randomBytes(6).toString('base64url');
  private readonly consumer: PartitionConsumer;
  /** The next offset to deliver, by topic and partition: what a change's cursor says. */
  private position: Offsets = new Map();
  /** The group's committed offsets as this reader last knew or set them. */
  private committed: Offsets = new Map();
  private sequence = 0;
  private acked = 0;
  /**
   * Since when the subscriber owes an ack: the last ack, else the first
   * delivery after everything was acknowledged — never the reader's start,
   * or a join that outlasted the timeout (a restart waiting out the dead
   * member's session) would redeliver the first changes at once.
   */
  private owedSince = 0;
  /** Bumped by every rewind: deliveries of an older epoch stop. */
  private epoch = 0;
  private stopped = false;
  /** Partitions waiting for an ack (or a rewind, or the stop) to deliver again. */
  private waiting: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private sink: DeliverySink | undefined;
  /** Baseline positions ahead of the committed offsets, committed at the first assignment. */
  private toCommit: Offsets = new Map();

  constructor(private readonly options: ReaderOptions) {
    if (options.resumeFrom) this.position = copy(options.resumeFrom.offsets);
    this.consumer = new PartitionConsumer(options.kafka, {
      groupId: options.groupId,
      logger: options.logger.child({ component: 'reader' }),
      fromBeginning: true,
      partitionsConsumedConcurrently: 4,
      resolveTransactionsByMarkers: true,
      onBatch: (batch) => this.onBatch(batch),
      onAssignment: (owned) => this.onAssignment(owned),
    });
    this.timer = setInterval(() => this.checkAckTimeout(), 250);
    this.timer.unref();
  }

  get subscriptionId(): string {
    return this.options.subscription.id;
  }

  /** Changes delivered and not yet acknowledged. */
  get unacked(): number {
    return this.sequence - this.acked;
  }

  /** Starts reading into `sink`; the tables' topics follow their models. */
  async start(sink: DeliverySink): Promise<void> {
    this.sink = sink;
    const topics = this.wantedTopics();
    this.committed = await this.options.kafka.committedOffsets(this.options.groupId, topics);
    // Kafka answers -1 for a partition without a committed offset.
    for (const partitions of this.committed.values())
      for (const [partition, offset] of partitions) if (offset < 0n) partitions.delete(partition);
    for (const [topic, partitions] of this.options.baseline ?? [])
      for (const [partition, offset] of partitions) {
        if (offset <= (this.committed.get(topic)?.get(partition) ?? -1n)) continue;
        setOffset(this.toCommit, topic, partition, offset);
        if (this.position.get(topic)?.get(partition) === undefined)
          setOffset(this.position, topic, partition, offset);
      }
    this.options.topics.onChange(() => {
      if (!this.stopped) void this.consumer.setTopics(this.wantedTopics());
    });
    await this.consumer.setTopics(topics);
  }

  /**
   * Acknowledges every change up to `cursor`: the group commits its offsets
   * (only those that move forward). A cursor of this stream also releases
   * delivery held by `maxUnacked`.
   */
  async ack(cursor: Cursor): Promise<void> {
    const forward: { topic: string; partition: number; offset: bigint }[] = [];
    const owned = this.consumer.ownedPartitions();
    for (const [topic, partitions] of cursor.offsets)
      for (const [partition, offset] of partitions) {
        // Another member's partition (a rebalance moved it): its position is that member's to commit.
        if (!owned.get(topic)?.has(partition)) continue;
        const known = this.committed.get(topic)?.get(partition);
        if (known === undefined || offset > known) forward.push({ topic, partition, offset });
      }
    if (forward.length > 0) {
      await this.consumer.commit(forward);
      for (const { topic, partition, offset } of forward)
        setOffset(this.committed, topic, partition, offset);
    }
    if (cursor.session === this.session && cursor.sequence > this.acked) {
      this.acked = Math.min(cursor.sequence, this.sequence);
      this.owedSince = Date.now();
      this.wake();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.wake();
    await this.consumer.stop();
  }

  private wantedTopics(): string[] {
    const topics = new Set<string>();
    for (const table of this.options.subscription.tables) {
      const topic = this.options.topics.get(table);
      if (topic) topics.add(topic.eventTopic);
    }
    return [...topics];
  }

  /** After every (re)assignment, fetching starts where this stream's position says. */
  private onAssignment(owned: ReadonlyMap<string, ReadonlySet<number>>): void {
    const commits: { topic: string; partition: number; offset: bigint }[] = [];
    for (const [topic, partitions] of owned)
      for (const partition of partitions) {
        const offset = this.position.get(topic)?.get(partition);
        if (offset !== undefined) this.consumer.seek(topic, partition, offset);
        const baseline = this.toCommit.get(topic)?.get(partition);
        if (baseline !== undefined) commits.push({ topic, partition, offset: baseline });
      }
    if (commits.length === 0) return;
    // After the join completes: kafkajs commits only for a member that runs.
    setImmediate(() => {
      this.consumer.commit(commits).then(
        () => {
          for (const { topic, partition, offset } of commits) {
            this.toCommit.get(topic)?.delete(partition);
            if (offset > (this.committed.get(topic)?.get(partition) ?? -1n))
              setOffset(this.committed, topic, partition, offset);
          }
        },
        (error: unknown) =>
          this.options.logger.warn({ err: error }, 'start position not committed yet'),
      );
    });
  }

  private async onBatch(batch: IncomingBatch): Promise<void> {
    const epoch = this.epoch;
    const tables = new Set(this.options.subscription.tables);
    const records = batch.records;
    // The safe position after record i: before every record not handled yet
    // (this batch's later ones, any still held), else after the whole fetch.
    // Records of an older transaction, released by its marker, come after
    // newer ones: a position past them must wait until they are delivered.
    const safeAfter: bigint[] = new Array<bigint>(records.length);
    let bound = batch.heldFrom;
    const end = batch.fetchedThrough ?? (records.at(-1)?.offset ?? -1n) + 1n;
    for (let i = records.length - 1; i >= 0; i--) {
      safeAfter[i] = bound === undefined || end < bound ? end : bound;
      const offset = records[i]!.offset;
      if (bound === undefined || offset < bound) bound = offset;
    }
    for (const [i, record] of records.entries()) {
      if (this.stopped || epoch !== this.epoch || batch.isStale()) return;
      const decoded = await this.decode(record, epoch, tables);
      // A rewind or a rebalance while decoding: this record belongs to the old position.
      if (decoded === 'stop' || this.stopped || epoch !== this.epoch || batch.isStale()) return;
      if (decoded && tables.has(decoded.change.table)) {
        while (this.unacked >= this.options.maxUnacked) {
          await new Promise<void>((resolve) => this.waiting.push(resolve));
          if (this.stopped || epoch !== this.epoch || batch.isStale()) return;
        }
        this.advance(record.topic, record.partition, safeAfter[i]!);
        if (this.unacked === 0) this.owedSince = Date.now();
        this.sequence++;
        const cursor = encodeCursor({
          session: this.session,
          sequence: this.sequence,
          offsets: this.position,
        });
        await this.sink!.deliver({
          ...decoded,
          cursor,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
        });
        this.options.metrics.delivered.inc({ delivery: this.options.subscription.delivery });
        this.options.metrics.deliveryDelay.observe(
          { delivery: this.options.subscription.delivery },
          Math.max(0, Date.now() - record.timestamp) / 1000,
        );
      } else {
        // Not this subscription's (another table on the topic, not an event): covered by the next cursor.
        this.advance(record.topic, record.partition, safeAfter[i]!);
      }
    }
  }

  /** The record's change, undefined if it has none; retried while the repository is down. */
  private async decode(
    record: IncomingBatch['records'][number],
    epoch: number,
    tables: ReadonlySet<string>,
  ): Promise<DecodedChange | undefined | 'stop'> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.decoder.decode(record, tables);
      } catch (error) {
        if (isWailError(error) && !error.retriable) {
          this.options.metrics.undecodable.inc();
          this.options.logger.error({ err: error }, 'event skipped: it cannot be decoded');
          return undefined;
        }
        if (attempt === 0)
          this.options.logger.warn({ err: error }, 'decoding waits for the repository');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt)));
        if (this.stopped || epoch !== this.epoch) return 'stop';
      }
    }
  }

  private advance(topic: string, partition: number, offset: bigint): void {
    setOffset(this.position, topic, partition, offset);
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** A stream that stopped acknowledging gets its unacknowledged changes again. */
  private checkAckTimeout(): void {
    const timeout = this.options.ackTimeoutMs;
    if (timeout === undefined || this.stopped || this.unacked === 0) return;
    if (Date.now() - this.owedSince < timeout) return;
    void this.rewind().catch((error: unknown) =>
      this.options.logger.warn({ err: error }, 'rewind failed; will try again'),
    );
  }

  private async rewind(): Promise<void> {
    // Every await first: from the epoch bump to the last seek nothing may be fetched or delivered.
    const owned = [...this.consumer.ownedPartitions()].map(
      ([topic, partitions]) => [topic, [...partitions]] as const,
    );
    const known = (topic: string, p: number) =>
      this.committed.get(topic)?.get(p) ?? this.toCommit.get(topic)?.get(p);
    const starts = new Map<string, Map<number, bigint>>();
    for (const [topic, partitions] of owned)
      if (partitions.some((p) => known(topic, p) === undefined))
        starts.set(topic, await this.options.kafka.startOffsets(topic));
    if (this.stopped) return;
    this.epoch++;
    this.options.metrics.rewinds.inc();
    this.options.logger.info(
      { subscription: this.subscriptionId, unacked: this.unacked },
      'no ack in time: redelivering from the last acknowledged cursor',
    );
    this.acked = this.sequence;
    this.position = copy(this.committed);
    for (const [topic, partitions] of owned)
      for (const partition of partitions) {
        // The acknowledged position, else the start position not committed yet, else the beginning.
        const offset = known(topic, partition) ?? starts.get(topic)?.get(partition) ?? 0n;
        this.advance(topic, partition, offset);
        this.consumer.seek(topic, partition, offset);
      }
    this.wake();
  }
}

function setOffset(offsets: Offsets, topic: string, partition: number, offset: bigint): void {
  let partitions = offsets.get(topic);
  if (!partitions) offsets.set(topic, (partitions = new Map()));
  partitions.set(partition, offset);
}
