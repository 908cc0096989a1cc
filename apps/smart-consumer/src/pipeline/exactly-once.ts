import { isWailError } from '@wail/errors';
import type { IncomingBatch, IncomingRecord, OutgoingRecord } from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import type { Delivery, HeldPartition, PartitionDelivery } from './delivery';
import type { PendingIntent } from './key-scheduler';
import type { KeyVersion } from './published-versions';

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

export interface ExactlyOnceOptions {
  transactions: PartitionTransactions;
  logger: Logger;
  /**
   * A partition holding outputs that has not committed for this long (two
   * commit intervals) stops fetching until it does: a clean cut, so a
   * sustained load cannot keep every transaction waiting. Off when undefined.
   */
  cutAfterMs?: number | undefined;
  now?: () => number;
}

interface OutboxEntry {
  records: OutgoingRecord[];
  minOffset: bigint;
  maxOffset: bigint;
  /** The key's version an event among the records publishes. */
  event: KeyVersion | undefined;
}

/**
 * Exactly-once: the first batch of a partition claims it (fencing earlier
 * owners) and starts at its committed offset; outputs wait in the partition's
 * outbox for its next transaction, which carries them and the offset they
 * complete.
 */
export class ExactlyOnceDelivery implements Delivery {
  private readonly partitions = new Set<ExactlyOncePartition>();

  constructor(private readonly options: ExactlyOnceOptions) {}

  open(held: HeldPartition): PartitionDelivery {
    const partition = new ExactlyOncePartition(held, this.options, (dropped) =>
      this.partitions.delete(dropped),
    );
    this.partitions.add(partition);
    return partition;
  }

  /**
   * A version is published only by the intent that wrote it. Superseded
   * intents rely on the newer write's own intent, so a replay after a crash
   * can never publish a version a committed transaction already holds.
   */
  publishes(version: bigint, intents: readonly PendingIntent[]): boolean {
    return intents.some((p) => p.intent.ts === version);
  }

  /**
   * Per partition, one transaction with the outputs that are ready and the
   * offset they complete. Outputs are committed in the order they were
   * produced (so per-key order holds) and only together with an offset that
   * covers all their intents and none of a later output's — a replay from
   * that offset neither misses nor repeats an output. A failed transaction
   * drops the partition's state and replays it from its committed offset.
   */
  async commit(): Promise<void> {
    await Promise.all([...this.partitions].map((partition) => partition.commit()));
  }
}

class ExactlyOncePartition implements PartitionDelivery {
  /** Outputs not committed yet, in the order they were produced. */
  private readonly outbox: OutboxEntry[] = [];
  private claimed = false;
  /** The claim in progress: batches that arrive meanwhile wait for it instead of claiming again. */
  private claiming: Promise<void> | undefined;
  private committing = false;
  /** The committed offset: where a replay of this partition starts. */
  private base = 0n;
  /** The next offset expected from Kafka. */
  private next = 0n;
  /** When the partition was claimed or last committed: how long its outputs have waited. */
  private committedAt = 0;

  constructor(
    private readonly partition: HeldPartition,
    private readonly options: ExactlyOnceOptions,
    private readonly onDropped: (partition: ExactlyOncePartition) => void,
  ) {}

  get held(): number {
    return this.outbox.length;
  }

  /** The first batch fences earlier owners and starts at the committed offset. */
  async admit(batch: IncomingBatch): Promise<readonly IncomingRecord[]> {
    const { topic, partition } = this.partition;
    const first = batch.records[0]?.offset;
    if (first === undefined) return [];
    if (!this.claimed) {
      try {
        this.claiming ??= this.options.transactions.claim(topic, partition).then((committed) => {
          this.base = committed ?? first;
          this.next = this.base;
          this.claimed = true;
          this.committedAt = this.now();
          this.options.logger.info(
            {
              topic,
              partition,
              committed: committed?.toString(),
              firstFetched: first.toString(),
            },
            'partition claimed',
          );
        });
        await this.claiming;
      } catch (error) {
        this.options.logger.warn(
          { err: error, topic, partition },
          'could not claim the partition; retrying',
        );
        this.partition.replay(first);
        await new Promise((resolve) => setTimeout(resolve, 500));
        return [];
      }
    }
    // A batch fetched before a rebalance or a restart of the Kafka consumer may
    // belong to another owner by now: the partition's next batch, or the gap
    // check below, picks up from where this member's commit is.
    if (this.partition.revoked || batch.isStale()) return [];
    const records = batch.records.filter((record) => record.offset >= this.next);
    if (records.length === 0) return [];
    if (records[0]!.offset > this.next) {
      // The fetch position is past the committed offset (another owner's
      // commit, or our own dropped state): read from where the commit is.
      this.partition.seek(this.next);
      return [];
    }
    this.next = records.at(-1)!.offset + 1n;
    return records;
  }

  async emit(
    records: OutgoingRecord[],
    offsets: readonly bigint[],
    event?: KeyVersion,
  ): Promise<void> {
    // A round that outlived its partition (a slow claim-check PUT, say): the
    // outbox was dropped and will never commit, so its output is discarded
    // and its version must not count as published (the replay publishes it).
    if (this.partition.revoked) return;
    let minOffset = offsets[0]!;
    let maxOffset = offsets[0]!;
    for (const offset of offsets) {
      if (offset < minOffset) minOffset = offset;
      if (offset > maxOffset) maxOffset = offset;
    }
    // Outputs start waiting now: an idle spell before them is no reason to cut.
    if (this.outbox.length === 0) this.committedAt = this.now();
    this.outbox.push({ records, minOffset, maxOffset, event });
    if (event) this.partition.published.hold(this, event);
  }

  async commit(): Promise<void> {
    const { topic, partition } = this.partition;
    if (!this.claimed || this.partition.revoked || this.committing) return;
    const safe = this.partition.safeOffset();
    if (safe === undefined) return;
    const { count: k, offset } = committable(this.outbox, safe);
    if (k === 0) this.cutIfOverdue(safe);
    if (k === 0 && offset <= this.base) return;
    const entries = this.outbox.slice(0, k);
    this.committing = true;
    try {
      await this.options.transactions.commit(
        topic,
        partition,
        entries.flatMap((entry) => entry.records),
        offset,
      );
      this.options.logger.debug(
        { topic, partition, offset: offset.toString(), outputs: k },
        'transaction committed',
      );
      // In Kafka now, even if the partition was revoked meanwhile: a duplicate
      // of these intents elsewhere must not publish them again.
      for (const entry of entries) if (entry.event) this.partition.published.confirm(entry.event);
      if (this.partition.revoked) return;
      for (const entry of this.outbox.splice(0, k))
        if (entry.event) this.partition.published.committed(this, entry.event);
      this.base = offset;
      this.committedAt = this.now();
      this.partition.relieved();
    } catch (error) {
      if (this.partition.revoked) return;
      // An event topic refused an event as too large: its limit is lower than
      // we knew, and the replay dead-letters the event before sending it.
      if (isWailError(error) && error.code === 'PAYLOAD_TOO_LARGE')
        this.partition.eventLimitsStale();
      this.options.logger.warn(
        { err: error, topic, partition, from: this.base.toString() },
        'transaction failed; replaying the partition from its committed offset',
      );
      this.partition.replay(this.base);
    } finally {
      this.committing = false;
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * Outputs waiting past `cutAfterMs`, none committable although the first
   * one's intents start below `safe` (finished intents; overlapping outputs
   * are what keeps them out): the partition stops fetching until they commit.
   * An unfinished intent older than every output (a key in its visibility
   * window) is not helped by a pause: no cut then.
   */
  private cutIfOverdue(safe: bigint): void {
    const { cutAfterMs } = this.options;
    const first = this.outbox[0];
    if (cutAfterMs === undefined || !first || first.minOffset >= safe) return;
    if (this.now() - this.committedAt >= cutAfterMs) this.partition.cut();
  }

  /**
   * "Published" includes "in an outbox" here: what a dropped outbox held was
   * never committed, so no key may skip a version because of it. What other
   * partitions hold or committed stays published.
   */
  dropped(): void {
    this.onDropped(this);
    this.partition.published.forget(this);
  }

  released(): void {
    void this.options.transactions.release(this.partition.topic, this.partition.partition);
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
