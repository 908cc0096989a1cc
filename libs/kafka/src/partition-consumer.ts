import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { deliverControlBatches } from './control-batches';
import type { KafkaClient } from './kafka-client';
import type { IncomingBatch, IncomingRecord } from './records';

export interface PartitionConsumerOptions {
  groupId: string;
  logger: Logger;
  /** Called for every fetched batch; the consumer moves on when it resolves. */
  onBatch(batch: IncomingBatch): Promise<void>;
  /** Called after every (re)assignment with the partitions this member now owns. */
  onAssignment?(owned: ReadonlyMap<string, ReadonlySet<number>>): void;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxBytesPerPartition?: number;
  partitionsConsumedConcurrently?: number;
  /** Where a group without committed offsets starts (default: the beginning). */
  fromBeginning?: boolean;
  /**
   * Resolve transactions from their commit/abort markers instead of kafkajs'
   * read_committed filter, which leaks an aborted record when aborted
   * transactions of several producers start before the same record (it
   * advances one aborted transaction per record). Records of a transaction are
   * delivered when its commit marker is read; aborted ones never; records of a
   * transaction still open are held back.
   */
  resolveTransactionsByMarkers?: boolean;
  /**
   * How long a commit may take before it fails (default 10 s). kafkajs can
   * leave a commit unanswered forever when the member crashes and restarts
   * under it (a broker restart); the caller then retries with the member
   * that runs now.
   */
  commitTimeoutMs?: number;
}

interface RawMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, unknown>;
  timestamp: string;
  isControlRecord?: boolean;
  batchContext?: { producerId: string; inTransaction: boolean };
}

const COMMIT_MARKER = Buffer.from([0, 0, 0, 1]);

deliverControlBatches();

/**
 * A consumer-group member with manual offset commits: kafkajs advances the
 * fetch position after each batch, but nothing is committed until the caller
 * says which offset is safe (`commit`). The set of topics can change at run
 * time (`setTopics` restarts the member with the new subscription).
 */
export class PartitionConsumer {
  private consumer: Consumer | undefined;
  /** The member created last, running or not. */
  private member: Consumer | undefined;
  private topics: string[] = [];
  private readonly owned = new Map<string, Set<number>>();
  private generation = 0;
  /** Transactional records waiting for their marker, by topic-partition and producer id. */
  private readonly openTransactions = new Map<string, Map<string, IncomingRecord[]>>();
  private restarting: Promise<void> = Promise.resolve();
  private stopped = false;
  /** A rebuild of the member after it crashed for good, or after a failed (re)start. */
  private restartTimer: NodeJS.Timeout | undefined;
  /** Rebuilds since the member last joined its group: the backoff grows with them. */
  private rebuilds = 0;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: PartitionConsumerOptions,
  ) {}

  ownedPartitions(): ReadonlyMap<string, ReadonlySet<number>> {
    return this.owned;
  }

  /** Subscribes to exactly these topics, restarting the member if they changed. */
  setTopics(topics: readonly string[]): Promise<void> {
    const wanted = [...new Set(topics)].sort();
    if (wanted.join('\n') === this.topics.join('\n')) return this.restarting;
    this.topics = wanted;
    return this.queueRestart();
  }

  /** Restarts the member after the restarts already queued; a failed start is tried again later. */
  private queueRestart(): Promise<void> {
    this.restarting = this.restarting
      .then(() => this.restart())
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'consumer restart failed; trying again');
        this.rebuildLater();
      });
    return this.restarting;
  }

  /**
   * Rebuilds the member after a backoff (0.5 s doubling, at most 30 s): kafkajs
   * gives up on a member for good after some errors (a group coordinator not
   * found or still loading after a broker restart, any non-retriable error),
   * and a start fails while Kafka is down. Without this the process would stay
   * up with its partitions unread.
   */
  private rebuildLater(): void {
    if (this.stopped || this.restartTimer) return;
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.rebuilds, 6));
    this.rebuilds++;
    this.options.logger.warn({ inMs: delay, attempt: this.rebuilds }, 'consumer will be rebuilt');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) void this.queueRestart();
    }, delay);
  }

  /** Commits `offset` (the next offset to read) for a partition this member owns. */
  async commit(
    offsets: readonly { topic: string; partition: number; offset: bigint }[],
  ): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || offsets.length === 0) return;
    const timeoutMs = this.options.commitTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`offset commit not answered in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([
        consumer.commitOffsets(
          offsets.map(({ topic, partition, offset }) => ({
            topic,
            partition,
            offset: offset.toString(),
          })),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Moves the fetch position of an owned partition; the next batch starts at
   * `offset`. Records held for open transactions are dropped: those at or
   * after `offset` are read again (a caller never seeks past a held record).
   */
  seek(topic: string, partition: number, offset: bigint): void {
    this.openTransactions.delete(`${topic}:${partition}`);
    this.control('seek', () =>
      this.consumer?.seek({ topic, partition, offset: offset.toString() }),
    );
  }

  pause(topic: string, partition: number): void {
    this.control('pause', () => this.consumer?.pause([{ topic, partitions: [partition] }]));
  }

  resume(topic: string, partition: number): void {
    this.control('resume', () => this.consumer?.resume([{ topic, partitions: [partition] }]));
  }

  /**
   * kafkajs refuses pause, resume and seek while its member is not running (it
   * crashed and has not started again). Nothing is lost: the member that
   * starts next owns no partition until it joins, and then reads from the
   * committed offsets.
   */
  private control(action: string, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      this.options.logger.debug({ err: error, action }, 'consumer not running; ignored');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.restarting;
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
  }

  private resolveByMarkers(
    partitionId: string,
    messages: readonly RawMessage[],
    toRecord: (message: RawMessage) => IncomingRecord,
  ): IncomingRecord[] {
    let open = this.openTransactions.get(partitionId);
    if (!open) {
      open = new Map();
      this.openTransactions.set(partitionId, open);
    }
    const out: IncomingRecord[] = [];
    for (const message of messages) {
      const producerId = message.batchContext?.producerId ?? '';
      if (message.isControlRecord) {
        const held = open.get(producerId) ?? [];
        open.delete(producerId);
        if (message.key && Buffer.from(message.key).equals(COMMIT_MARKER)) out.push(...held);
      } else if (message.batchContext?.inTransaction) {
        const held = open.get(producerId);
        if (held) held.push(toRecord(message));
        else open.set(producerId, [toRecord(message)]);
      } else {
        out.push(toRecord(message));
      }
    }
    return out;
  }

  private async restart(): Promise<void> {
    const previous = this.consumer;
    this.consumer = undefined;
    if (previous) await previous.disconnect().catch(() => undefined);
    this.owned.clear();
    this.options.onAssignment?.(this.owned);
    if (this.stopped || this.topics.length === 0) return;

    const consumer = this.kafka.createConsumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 1000,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1_048_576,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
      allowAutoTopicCreation: false,
      ...(this.options.resolveTransactionsByMarkers ? { readUncommitted: true } : {}),
    });
    this.member = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.rebuilds = 0;
      this.generation++;
      this.owned.clear();
      // A new assignment fetches again from the committed offsets: whatever a
      // transaction held back is read again.
      this.openTransactions.clear();
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        this.owned.set(topic, new Set(partitions));
      }
      this.options.logger.info(
        { assignment: payload.memberAssignment, generation: this.generation },
        'partitions assigned',
      );
      this.options.onAssignment?.(this.owned);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.options.logger.error(
        { err: payload.error, restart: payload.restart },
        'consumer crashed',
      );
      // kafkajs restarts the member itself when it can (`restart`); when it
      // gives up, the member is rebuilt, which forgets its partitions first.
      if (this.member === consumer && !payload.restart) this.rebuildLater();
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: this.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    this.consumer = consumer;
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 8,
      eachBatchAutoResolve: true,
      eachBatch: async (payload: EachBatchPayload) => {
        const { batch } = payload;
        const generation = this.generation;
        const toRecord = (message: RawMessage): IncomingRecord => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: BigInt(message.offset),
          key: message.key,
          value: message.value,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
              value === undefined
                ? []
                : [[name, Buffer.isBuffer(value) ? value : Buffer.from(String(value))]],
            ),
          ),
          timestamp: Number(message.timestamp),
        });
        // Only markers (see control-batches.ts): kafkajs' own handling, unless we resolve them.
        if (batch.messages.length === 0 && !this.options.resolveTransactionsByMarkers) return;
        const partitionId = `${batch.topic}:${batch.partition}`;
        // Every record of the fetch, control records included (kafkajs internals).
        const fetched = (batch as unknown as { messagesWithinOffset: RawMessage[] })
          .messagesWithinOffset;
        const records: IncomingRecord[] = this.options.resolveTransactionsByMarkers
          ? this.resolveByMarkers(partitionId, fetched, toRecord)
          : batch.messages.map((message) => toRecord(message as unknown as RawMessage));
        const last = fetched.at(-1);
        let heldFrom: bigint | undefined;
        for (const held of this.openTransactions.get(partitionId)?.values() ?? [])
          if (held[0] && (heldFrom === undefined || held[0].offset < heldFrom))
            heldFrom = held[0].offset;
        await this.options.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          records,
          ...(last ? { fetchedThrough: BigInt(last.offset) + 1n } : {}),
          ...(heldFrom === undefined ? {} : { heldFrom }),
          isStale: () =>
            generation !== this.generation || payload.isStale() || !payload.isRunning(),
        });
      },
    });
  }
}
