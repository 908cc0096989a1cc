import {
  PartitionConsumer,
  RecordProducer,
  recordSize,
  type IncomingBatch,
  type KafkaClient,
  type OutgoingRecord,
} from '@wail/kafka';
import { WailError } from '@wail/errors';
import type { Logger } from '@wail/telemetry';
import { parseDeadLetter, type DeadLetter } from './dead-letter';
import { parseStored, type Subscription } from './subscription';

export interface SubscriptionStoreOptions {
  kafka: KafkaClient;
  topic: string;
  /** The reading group of this gateway instance; it never commits, so it always reads from the start. */
  groupId: string;
  logger: Logger;
  /** Called for every subscription created, changed (undefined: deleted) by any gateway. */
  onChange?(id: string, subscription: Subscription | undefined): void;
}

/**
 * The subscriptions and their dead letters, kept on a compacted
 * single-partition topic (key: the id, or `dlq/<id>/<sequence>` for a dead
 * letter; value: JSON; a null value deletes): every gateway instance reads the
 * whole topic at start and follows it, so both survive restarts and are
 * shared by instances, with nothing but Kafka.
 */
export class SubscriptionStore {
  private readonly subscriptions = new Map<string, Subscription>();
  /** Dead letters by subscription id, then by record key (sequence order). */
  private readonly deadLetters = new Map<string, Map<string, DeadLetter>>();
  private readonly consumer: PartitionConsumer;
  private readonly producer: RecordProducer;
  /** The next offset to apply, and who waits for an offset to be applied. */
  private applied = 0n;
  private readonly waiters: { offset: bigint; resolve(): void }[] = [];

  constructor(private readonly options: SubscriptionStoreOptions) {
    this.producer = new RecordProducer(options.kafka, { ackTimeoutMs: 5000 });
    this.consumer = new PartitionConsumer(options.kafka, {
      groupId: options.groupId,
      logger: options.logger.child({ component: 'subscription-store' }),
      fromBeginning: true,
      partitionsConsumedConcurrently: 1,
      onBatch: (batch) => this.apply(batch),
    });
  }

  /** Creates the topic if needed and resolves once every subscription stored so far is read. */
  async start(timeoutMs = 30_000): Promise<void> {
    await this.options.kafka.ensureTopics([
      {
        topic: this.options.topic,
        partitions: 1,
        // Dead letters carry whole rows: up to 8 MB each.
        config: { 'cleanup.policy': 'compact', 'max.message.bytes': String(8 * 1024 * 1024) },
      },
    ]);
    const end = await this.endOffset(timeoutMs);
    await this.consumer.setTopics([this.options.topic]);
    await this.appliedThrough(end, timeoutMs);
  }

  /** The topic's end offset; a topic just created may not be served for a moment. */
  private async endOffset(timeoutMs: number): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return (await this.options.kafka.endOffsets(this.options.topic)).get(0) ?? 0n;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  get size(): number {
    return this.subscriptions.size;
  }

  get(id: string): Subscription | undefined {
    return this.subscriptions.get(id);
  }

  all(): Subscription[] {
    return [...this.subscriptions.values()];
  }

  byName(name: string): Subscription | undefined {
    for (const subscription of this.subscriptions.values())
      if (subscription.name === name) return subscription;
    return undefined;
  }

  /** A subscription's dead letters, oldest first. */
  deadLettersOf(id: string): DeadLetter[] {
    return [...(this.deadLetters.get(id)?.values() ?? [])];
  }

  deadLetterCount(id: string): number {
    return this.deadLetters.get(id)?.size ?? 0;
  }

  /** Stores dead letters (one record each) and resolves once this instance has read them back. */
  async putDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    await this.writeAll(
      letters.map((letter) => ({
        key: deadLetterKey(letter),
        value: Buffer.from(JSON.stringify(letter)),
      })),
    );
  }

  async deleteDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    await this.writeAll(
      letters.map((letter) => ({
        key: deadLetterKey(letter),
        value: null,
      })),
    );
  }

  /** Stores a subscription (acks=all) and resolves once this instance has read it back. */
  async put(subscription: Subscription): Promise<void> {
    await this.write(subscription.id, Buffer.from(JSON.stringify(subscription)));
  }

  async delete(id: string): Promise<void> {
    await this.write(id, null);
  }

  async stop(): Promise<void> {
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    await this.consumer.stop();
    await this.producer.close();
  }

  private write(key: string, value: Buffer | null): Promise<void> {
    return this.writeAll([{ key, value }]);
  }

  private async writeAll(entries: readonly { key: string; value: Buffer | null }[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      // One request per ~900 KB, below the broker's per-batch limit (a larger letter goes alone).
      let chunk: OutgoingRecord[] = [];
      let bytes = 0;
      for (const { key, value } of entries) {
        const record = { topic: this.options.topic, key: Buffer.from(key), value };
        if (chunk.length > 0 && bytes + recordSize(record) > MAX_REQUEST_BYTES) {
          await this.producer.send(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push(record);
        bytes += recordSize(record);
      }
      await this.producer.send(chunk);
    } catch (error) {
      // A failed send leaves kafkajs' sequence numbers unknown: start over (RecordProducer).
      await this.producer.reset();
      throw new WailError(
        'OUTPUT_UNAVAILABLE',
        'Kafka did not store the change to the subscriptions; nothing changed',
        { cause: error },
      );
    }
    await this.appliedThrough(await this.endOffset(10_000), 10_000);
  }

  private apply(batch: IncomingBatch): Promise<void> {
    for (const record of batch.records) {
      const key = record.key?.toString('utf8') ?? '';
      this.applied = record.offset + 1n;
      if (key.startsWith(DEAD_LETTER_PREFIX)) this.applyDeadLetter(key, record.value);
      else this.applySubscription(key, record.value, record.offset);
    }
    // Offsets of compacted-away records and transaction markers never arrive: a batch's end counts.
    const last = batch.records.at(-1);
    if (last) this.applied = last.offset + 1n;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (this.applied >= waiter.offset) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    return Promise.resolve();
  }

  private applySubscription(id: string, value: Buffer | null, offset: bigint): void {
    const subscription = value === null ? undefined : parseStored(value);
    if (value !== null && !subscription) {
      this.options.logger.warn({ offset: offset.toString() }, 'unreadable subscription skipped');
      return;
    }
    if (subscription) this.subscriptions.set(id, subscription);
    else {
      this.subscriptions.delete(id);
      this.deadLetters.delete(id);
    }
    this.options.onChange?.(id, subscription);
  }

  private applyDeadLetter(key: string, value: Buffer | null): void {
    const id = key.slice(DEAD_LETTER_PREFIX.length, key.lastIndexOf('/'));
    const letter = value === null ? undefined : parseDeadLetter(value);
    let letters = this.deadLetters.get(id);
    if (letter && this.subscriptions.has(id)) {
      if (!letters) this.deadLetters.set(id, (letters = new Map()));
      letters.set(key, letter);
    } else letters?.delete(key);
  }

  private appliedThrough(offset: bigint, timeoutMs: number): Promise<void> {
    if (this.applied >= offset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(
          new WailError(
            'OUTPUT_UNAVAILABLE',
            `the subscriptions topic was not read up to offset ${offset} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }
}

const DEAD_LETTER_PREFIX = 'dlq/';
const MAX_REQUEST_BYTES = 900_000;

/** Sequence numbers zero-padded, so keys sort in the order the letters were written. */
function deadLetterKey(letter: DeadLetter): string {
  const sequence = String(letter.sequence).padStart(16, '0');
  return `${DEAD_LETTER_PREFIX}${letter.subscription}/${sequence}${letter.origin ? `-${letter.origin}` : ''}`;
}
