import type { KafkaClient } from './kafka-client';
import { KafkaError, isKafkaError, kafkaError } from './kafka-error';
import { MAX_REQUEST_BYTES, RecordProducer, inChunks, recordSize } from './record-producer';
import type { OutgoingRecord } from './records';

export interface GroupCommitOptions {
  /** Appends waiting for Kafka beyond this fail at once (`queue-full`). */
  maxQueued?: number;
  /** Records per Kafka request. */
  maxBatch?: number;
  /**
   * Bytes per Kafka request (by `recordSize`): below the broker's default
   * `message.max.bytes` (1,048,588), so records that fit one by one never
   * make a partition's batch too large together. A larger record goes alone.
   */
  maxRequestBytes?: number;
  /** An append not acknowledged within this time fails (the record may still land later). */
  appendTimeoutMs?: number;
}

interface Pending {
  records: readonly OutgoingRecord[];
  resolve: () => void;
  reject: (error: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout;
}

/** One record of a group-commit round and the append it belongs to. */
interface Entry {
  record: OutgoingRecord;
  owner: Pending;
  error?: Error;
}

export interface GroupCommitStats {
  requests: number;
  records: number;
}

/**
 * Group commit for intents: concurrent `append` calls share Kafka requests.
 * While one request is in flight every new append queues; when it returns,
 * everything queued goes out in the next request. So throughput grows with
 * concurrency instead of collapsing to one round trip per mutation, and an
 * idempotent producer (one request in flight) keeps its ordering guarantees.
 *
 * Bounded: a full queue or a slow acknowledgement fails the append quickly
 * (`queue-full`, `timeout`) rather than holding memory and requests.
 *
 * Isolated: a record Kafka refuses as too large fails only its own append
 * (`too-large`, which no retry changes), never the others it travelled with —
 * see `isolate`.
 */
export class GroupCommitLog {
  private readonly producer: RecordProducer;
  private readonly queue: Pending[] = [];
  private queuedRecords = 0;
  private inFlight = false;
  private readonly maxQueued: number;
  private readonly maxBatch: number;
  private readonly maxRequestBytes: number;
  private readonly appendTimeoutMs: number;
  readonly stats: GroupCommitStats = { requests: 0, records: 0 };

  constructor(kafka: KafkaClient, options: GroupCommitOptions = {}) {
    this.maxQueued = options.maxQueued ?? 10_000;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.appendTimeoutMs = options.appendTimeoutMs ?? 3000;
    this.producer = new RecordProducer(kafka, { ackTimeoutMs: this.appendTimeoutMs, retries: 2 });
  }

  /** Resolves once every record is acknowledged by all in-sync replicas. */
  append(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.queuedRecords + records.length > this.maxQueued) return Promise.reject(this.full());
    const appended = this.enqueue(records);
    this.pump();
    return appended;
  }

  /**
   * One append per record, queued together (so they share a request): each
   * promise settles for its own record, so one refused record fails alone.
   */
  appendEach(records: readonly OutgoingRecord[]): Promise<void>[] {
    const appended = records.map((record) =>
      this.queuedRecords + 1 > this.maxQueued
        ? Promise.reject(this.full())
        : this.enqueue([record]),
    );
    this.pump();
    return appended;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async close(): Promise<void> {
    await this.producer.close();
  }

  private full(): KafkaError {
    return new KafkaError(
      'queue-full',
      `the queue is full (${this.maxQueued} records waiting for Kafka)`,
    );
  }

  private enqueue(records: readonly OutgoingRecord[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        records,
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => {
          this.settle(
            pending,
            new KafkaError(
              'timeout',
              `Kafka did not acknowledge within ${this.appendTimeoutMs} ms`,
            ),
          );
        }, this.appendTimeoutMs),
      };
      this.queue.push(pending);
      this.queuedRecords += records.length;
    });
  }

  private settle(pending: Pending, error?: Error): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch: Pending[] = [];
    let count = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const size = next.records.reduce((sum, record) => sum + recordSize(record), 0);
      if (
        batch.length > 0 &&
        (count + next.records.length > this.maxBatch || bytes + size > this.maxRequestBytes)
      )
        break;
      this.queue.shift();
      this.queuedRecords -= next.records.length;
      // An append that already timed out is not sent: its caller has answered 503.
      if (next.settled) continue;
      batch.push(next);
      count += next.records.length;
      bytes += size;
    }
    if (batch.length === 0) return this.pump();
    this.inFlight = true;
    this.deliver(batch)
      .catch((error: unknown) => {
        for (const pending of batch) this.settle(pending, kafkaError(error));
      })
      .finally(() => {
        this.inFlight = false;
        this.pump();
      });
  }

  /** Sends a round's records (in requests of at most `maxRequestBytes`) and settles each append. */
  private async deliver(batch: readonly Pending[]): Promise<void> {
    const entries: Entry[] = batch.flatMap((owner) =>
      owner.records.map((record) => ({ record, owner })),
    );
    let failure: Error | undefined;
    for (const chunk of inChunks(
      entries,
      (entry) => recordSize(entry.record),
      this.maxRequestBytes,
    )) {
      if (failure) {
        for (const entry of chunk) entry.error = failure;
        continue;
      }
      failure = await this.sendChunk(chunk);
    }
    const errors = new Map<Pending, Error>();
    for (const entry of entries)
      if (entry.error && !errors.has(entry.owner)) errors.set(entry.owner, entry.error);
    for (const pending of batch) this.settle(pending, errors.get(pending));
  }

  /** One request; returns the error that stops the round (Kafka unavailable), if any. */
  private async sendChunk(chunk: Entry[]): Promise<Error | undefined> {
    this.stats.requests++;
    this.stats.records += chunk.length;
    try {
      await this.producer.send(chunk.map((entry) => entry.record));
      return undefined;
    } catch (error) {
      const refused = refusedAsTooLarge(error);
      if (!refused) return this.unavailable(chunk, error as Error);
      // The broker judged each partition on its own and may have appended
      // the others. Each partition's records go again exactly as before: an
      // appended one is acknowledged as a duplicate, a refused one is refused
      // again and then split until the refused records stand alone.
      const groups = byPartition(chunk, (record) => this.producer.partitionOf(record));
      if (groups.length === 1) return this.isolate(groups[0]!);
      for (const [index, group] of groups.entries()) {
        try {
          this.stats.requests++;
          await this.producer.sendAgain(group.map((entry) => entry.record));
        } catch (again) {
          const stop = refusedAsTooLarge(again)
            ? await this.isolate(group)
            : await this.unavailable(group, again as Error);
          if (stop) {
            for (const rest of groups.slice(index + 1))
              for (const entry of rest) entry.error = stop;
            return stop;
          }
        }
      }
      return undefined;
    }
  }

  /**
   * Records of one partition that the broker refused together, nothing of
   * them appended: halves go on their own, in order, until each refused
   * record is alone, and it alone fails.
   */
  private async isolate(group: Entry[]): Promise<Error | undefined> {
    if (group.length === 1) {
      const entry = group[0]!;
      const size = recordSize(entry.record);
      entry.error = new KafkaError(
        'too-large',
        `Kafka refused a record of ${size} bytes as too large (max.message.bytes of its topic)`,
      );
      return undefined;
    }
    const middle = Math.ceil(group.length / 2);
    for (const half of [group.slice(0, middle), group.slice(middle)]) {
      try {
        this.stats.requests++;
        await this.producer.sendAgain(half.map((entry) => entry.record));
      } catch (error) {
        const stop = refusedAsTooLarge(error)
          ? await this.isolate(half)
          : await this.unavailable(group, error as Error);
        if (stop) {
          for (const entry of group) entry.error ??= stop;
          return stop;
        }
      }
    }
    return undefined;
  }

  /**
   * Kafka did not take the records. Whatever it appended of them, the next
   * request carries other records, so the producer starts over with a new
   * producer id (see RecordProducer) before it.
   */
  private async unavailable(entries: readonly Entry[], error: Error): Promise<Error> {
    const failure = kafkaError(error);
    for (const entry of entries) entry.error = failure;
    await this.producer.reset();
    return failure;
  }
}

function refusedAsTooLarge(error: unknown): boolean {
  return isKafkaError(error, 'too-large');
}

/** Entries grouped by topic and partition, each group in its original order. */
function byPartition(
  entries: readonly Entry[],
  partitionOf: (record: OutgoingRecord) => number | undefined,
): Entry[][] {
  const groups = new Map<string, Entry[]>();
  for (const entry of entries) {
    const id = `${entry.record.topic}\u0000${partitionOf(entry.record) ?? '?'}`;
    const group = groups.get(id) ?? [];
    group.push(entry);
    groups.set(id, group);
  }
  return [...groups.values()];
}
