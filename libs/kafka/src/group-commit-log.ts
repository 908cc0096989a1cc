import { WailError } from '@wail/errors';
import type { KafkaClient } from './kafka-client';
import { RecordProducer } from './record-producer';
import type { OutgoingRecord } from './records';

export interface GroupCommitOptions {
  /** Appends waiting for Kafka beyond this answer at once with INTENT_LOG_UNAVAILABLE. */
  maxQueued?: number;
  /** Records per Kafka request. */
  maxBatch?: number;
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
 * with INTENT_LOG_UNAVAILABLE rather than holding memory and requests.
 */
export class GroupCommitLog {
  private readonly producer: RecordProducer;
  private readonly queue: Pending[] = [];
  private queuedRecords = 0;
  private inFlight = false;
  private readonly maxQueued: number;
  private readonly maxBatch: number;
  private readonly appendTimeoutMs: number;
  readonly stats: GroupCommitStats = { requests: 0, records: 0 };

  constructor(kafka: KafkaClient, options: GroupCommitOptions = {}) {
    this.maxQueued = options.maxQueued ?? 10_000;
    this.maxBatch = options.maxBatch ?? 1000;
    this.appendTimeoutMs = options.appendTimeoutMs ?? 3000;
    this.producer = new RecordProducer(kafka, { ackTimeoutMs: this.appendTimeoutMs, retries: 2 });
  }

  /** Resolves once every record is acknowledged by all in-sync replicas. */
  append(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.queuedRecords + records.length > this.maxQueued) {
      return Promise.reject(
        new WailError(
          'INTENT_LOG_UNAVAILABLE',
          `intent log queue is full (${this.maxQueued} records waiting for Kafka)`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        records,
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => {
          this.settle(
            pending,
            new WailError(
              'INTENT_LOG_UNAVAILABLE',
              `Kafka did not acknowledge the intent within ${this.appendTimeoutMs} ms`,
            ),
          );
        }, this.appendTimeoutMs),
      };
      this.queue.push(pending);
      this.queuedRecords += records.length;
      this.pump();
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async close(): Promise<void> {
    await this.producer.close();
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
    while (
      this.queue.length > 0 &&
      (batch.length === 0 || count + this.queue[0]!.records.length <= this.maxBatch)
    ) {
      const next = this.queue.shift()!;
      this.queuedRecords -= next.records.length;
      // An append that already timed out is not sent: its caller has answered 503.
      if (next.settled) continue;
      batch.push(next);
      count += next.records.length;
    }
    if (batch.length === 0) return this.pump();
    this.inFlight = true;
    this.stats.requests++;
    this.stats.records += count;
    this.producer
      .send(batch.flatMap((pending) => pending.records))
      .then(
        () => {
          for (const pending of batch) this.settle(pending);
        },
        (error: unknown) => {
          for (const pending of batch) this.settle(pending, error as Error);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.pump();
      });
  }
}
