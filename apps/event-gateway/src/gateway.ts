import { randomBytes } from 'node:crypto';
import { WailError } from '@wail/errors';
import type { KafkaClient } from '@wail/kafka';
import type { Logger } from '@wail/telemetry';
import type { GatewayConfig } from './config';
import type { ChangeDecoder } from './delivery/change';
import type { Cursor } from './delivery/cursor';
import { decodeCursor } from './delivery/cursor';
import type { GatewayMetrics } from './delivery/metrics';
import { SubscriptionReader, type DeliverySink } from './delivery/subscription-reader';
import type { TableTopics } from './delivery/table-topics';
import { WebhookSink, webhookBody, signature } from './delivery/webhook';
import type { DeadLetter } from './subscriptions/dead-letter';
import {
  newSubscriptionId,
  newToken,
  startOffsetsOf,
  view,
  type DeliveryStyle,
  type StartPosition,
  type Subscription,
  type SubscriptionView,
} from './subscriptions/subscription';
import type { SubscriptionStore } from './subscriptions/subscription-store';

export interface NewSubscription {
  name: string;
  tables: string[];
  start: StartPosition;
  delivery: DeliveryStyle;
  webhook?: { url: string; secret: string };
}

export interface GatewayDeps {
  config: GatewayConfig;
  kafka: KafkaClient;
  store: SubscriptionStore;
  topics: TableTopics;
  decoder: ChangeDecoder;
  metrics: GatewayMetrics;
  logger: Logger;
}

/** A stream being delivered: its reader, and how to end it when another takes over. */
interface ActiveStream {
  reader: SubscriptionReader;
  end(): void;
}

/** What `GET /v1/subscriptions` shows of a subscription's progress. */
export interface Lag {
  /** Changes (event records) on its tables' topics past its acknowledged cursor. */
  records: number;
  streaming: boolean;
}

/** Dead letters a subscription may hold; a webhook with this many retries its batch instead. */
export const MAX_DEAD_LETTERS = 10_000;

/**
 * The gateway's core: subscriptions (created, listed, deleted), the one
 * stream each may have at a time (a new SSE or gRPC stream takes over from
 * the old one; a webhook subscription's stream runs whenever the gateway
 * does), acknowledgements, and webhook dead letters.
 */
export class Gateway {
  private readonly streams = new Map<string, ActiveStream>();
  /** Acknowledgements that came while the subscription had no stream, by subscription. */
  private readonly pendingAcks = new Map<string, Map<string, Map<number, bigint>>>();
  /** Per subscription, the tail of its stream changes: one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private stopped = false;
  /** Marks this instance's dead letters (keys stay distinct across instances). */
  private readonly origin = randomBytes(4).toString('hex');

  constructor(private readonly deps: GatewayDeps) {}

  get activeStreams(): number {
    return this.streams.size;
  }

  get(id: string): Subscription | undefined {
    return this.deps.store.get(id);
  }

  list(): Subscription[] {
    return this.deps.store.all();
  }

  groupOf(id: string): string {
    return `${this.deps.config.groupPrefix}.${id}`;
  }

  async create(
    request: NewSubscription,
  ): Promise<{ subscription: SubscriptionView; token: string }> {
    const { store, topics, config, kafka } = this.deps;
    if (store.byName(request.name))
      throw new WailError(
        'SUBSCRIPTION_EXISTS',
        `a subscription named "${request.name}" exists already`,
      );
    if (store.size >= config.maxSubscriptions)
      throw new WailError(
        'SUBSCRIPTION_LIMIT_REACHED',
        `the gateway keeps ${config.maxSubscriptions} subscriptions already (WAIL_GATEWAY_MAX_SUBSCRIPTIONS)`,
      );
    await topics.settled();
    if (request.tables.some((table) => !topics.routed(table))) await topics.refresh();
    const unknown = request.tables.filter((table) => !topics.routed(table));
    if (unknown.length > 0)
      throw new WailError(
        'UNKNOWN_TABLE',
        `no route in the schema repository for ${unknown.map((t) => `"${t}"`).join(', ')}`,
      );
    const elsewhere = request.tables.filter((table) => {
      const cluster = topics.get(table)?.eventCluster;
      return cluster !== undefined && cluster !== config.cluster;
    });
    if (elsewhere.length > 0)
      throw new WailError(
        'CLUSTER_NOT_CONFIGURED',
        `the events of ${elsewhere.join(', ')} go to another Kafka cluster than this gateway's ("${config.cluster}", WAIL_GATEWAY_CLUSTER)`,
      );
    const id = newSubscriptionId();
    const { token, hash } = newToken();
    // The cursor starts where `start` says on the topics that exist; a topic
    // that appears later (a table's first model) is read from its start.
    const startOffsets: Record<string, Record<string, string>> = {};
    for (const eventTopic of new Set(
      request.tables.flatMap((table) => topics.get(table)?.eventTopic ?? []),
    )) {
      await kafka.ensureTopics([{ topic: eventTopic }]);
      const offsets =
        request.start === 'latest'
          ? await kafka.endOffsets(eventTopic)
          : await kafka.startOffsets(eventTopic);
      startOffsets[eventTopic] = Object.fromEntries(
        [...offsets].map(([partition, offset]) => [partition, offset.toString()]),
      );
    }
    const subscription: Subscription = {
      id,
      name: request.name,
      tables: [...new Set(request.tables)],
      start: request.start,
      delivery: request.delivery,
      ...(request.webhook ? { webhook: request.webhook } : {}),
      tokenHash: hash,
      createdAt: new Date().toISOString(),
      startOffsets,
    };
    await store.put(subscription);
    return { subscription: view(subscription), token };
  }

  async delete(id: string): Promise<void> {
    const subscription = this.require(id);
    this.pendingAcks.delete(id);
    await this.locked(id, () => this.endStream(id));
    await this.deps.store.deleteDeadLetters(this.deps.store.deadLettersOf(id));
    await this.deps.store.delete(subscription.id);
    await this.deps.kafka
      .deleteGroups([this.groupOf(id)])
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, subscription: id }, 'cursor group not deleted'),
      );
  }

  /** Records past the acknowledged cursor on the subscription's topics. */
  async lag(subscription: Subscription, ends: Map<string, Promise<Map<number, bigint>>>) {
    const topics = [
      ...new Set(
        subscription.tables.flatMap((table) => this.deps.topics.get(table)?.eventTopic ?? []),
      ),
    ];
    const committed = await this.deps.kafka.committedOffsets(this.groupOf(subscription.id), topics);
    const starts = startOffsetsOf(subscription);
    let records = 0n;
    for (const topic of topics) {
      let end = ends.get(topic);
      if (!end) ends.set(topic, (end = this.deps.kafka.endOffsets(topic)));
      for (const [partition, high] of await end) {
        const own = committed.get(topic)?.get(partition) ?? -1n;
        // No committed offset: from where `start` put it, else everything (approximately: from 0).
        const at = own >= 0n ? own : (starts.get(topic)?.get(partition) ?? 0n);
        records += high > at ? high - at : 0n;
      }
    }
    return { records: Number(records), streaming: this.streams.has(subscription.id) };
  }

  /**
   * Starts delivering a subscription into `sink`, ending the stream it had (a
   * reconnecting client takes over from its own stale connection).
   */
  async openStream(
    id: string,
    sink: DeliverySink,
    end: () => void,
    resumeFrom: Cursor | undefined,
  ): Promise<SubscriptionReader> {
    const subscription = this.require(id);
    return this.locked(id, async () => {
      await this.endStream(id);
      const { config, kafka, topics, decoder, metrics, logger } = this.deps;
      const webhook = subscription.delivery === 'webhook';
      const reader = new SubscriptionReader({
        kafka,
        subscription,
        groupId: this.groupOf(id),
        topics,
        decoder,
        metrics,
        logger: logger.child({ subscription: id }),
        maxUnacked: webhook ? config.webhook.batch * 2 : config.stream.maxUnacked,
        ackTimeoutMs: webhook ? undefined : config.stream.ackTimeoutMs,
        baseline: baseline(startOffsetsOf(subscription), this.pendingAcks.get(id)),
        ...(resumeFrom ? { resumeFrom } : {}),
      });
      this.pendingAcks.delete(id);
      this.streams.set(id, { reader, end });
      try {
        await reader.start(sink);
      } catch (error) {
        this.streams.delete(id);
        await reader.stop().catch(() => undefined);
        throw error;
      }
      return reader;
    });
  }

  /** Ends a stream if it is still the subscription's current one. */
  closeStream(id: string, reader: SubscriptionReader): Promise<void> {
    return this.locked(id, async () => {
      if (this.streams.get(id)?.reader !== reader) return;
      this.streams.delete(id);
      await reader.stop();
    });
  }

  /** Acknowledges up to a cursor: through the running stream, or straight to the group when none runs. */
  async ack(id: string, cursorText: string): Promise<void> {
    this.require(id);
    const cursor = decodeCursor(cursorText);
    const stream = this.streams.get(id);
    if (stream) {
      await stream.reader.ack(cursor);
      return;
    }
    // No stream here: Kafka commits a group's offsets only through a member,
    // so the ack waits for the subscription's next stream on this gateway,
    // which commits it first (a restart before that redelivers: at least once).
    const pending = this.pendingAcks.get(id) ?? new Map<string, Map<number, bigint>>();
    for (const [topic, partitions] of cursor.offsets) {
      const known = pending.get(topic) ?? new Map<number, bigint>();
      for (const [partition, offset] of partitions)
        if (offset > (known.get(partition) ?? -1n)) known.set(partition, offset);
      pending.set(topic, known);
    }
    this.pendingAcks.set(id, pending);
  }

  deadLetters(id: string): DeadLetter[] {
    this.require(id);
    return this.deps.store.deadLettersOf(id);
  }

  /**
   * Posts a webhook subscription's dead letters again, oldest first, in
   * batches; each batch the receiver takes is removed. Stops at the first
   * batch refused, leaving it and the rest.
   */
  async redrive(id: string): Promise<{ redelivered: number; remaining: number }> {
    const subscription = this.require(id);
    if (subscription.delivery !== 'webhook' || !subscription.webhook)
      throw new WailError('WRONG_DELIVERY', `subscription ${id} is not a webhook subscription`);
    const letters = this.deps.store.deadLettersOf(id);
    let redelivered = 0;
    for (let i = 0; i < letters.length; i += this.deps.config.webhook.batch) {
      const batch = letters.slice(i, i + this.deps.config.webhook.batch);
      const body = webhookBody(
        id,
        batch.map((letter) => letter.change),
        batch.at(-1)!.cursor,
      );
      const response = await fetch(subscription.webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'wail-event-gateway',
          'x-wail-subscription': id,
          'x-wail-redrive': 'true',
          'x-wail-signature': signature(subscription.webhook.secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.config.webhook.timeoutMs),
      }).catch(() => undefined);
      await response?.body?.cancel().catch(() => undefined);
      if (!response || response.status < 200 || response.status >= 300) break;
      await this.deps.store.deleteDeadLetters(batch);
      redelivered += batch.length;
    }
    return { redelivered, remaining: this.deps.store.deadLetterCount(id) };
  }

  /** Follows the subscriptions: every webhook subscription has a running stream, deleted ones none. */
  onSubscriptionChange(id: string, subscription: Subscription | undefined): void {
    if (this.stopped) return;
    if (!subscription) {
      void this.locked(id, () => this.endStream(id));
      return;
    }
    if (subscription.delivery === 'webhook' && !this.streams.has(id) && !this.locks.has(id))
      void this.startWebhook(subscription).catch((error: unknown) =>
        this.deps.logger.error({ err: error, subscription: id }, 'webhook delivery did not start'),
      );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.locks.values()]);
    await Promise.allSettled(
      [...this.streams.keys()].map((id) => this.locked(id, () => this.endStream(id))),
    );
  }

  private async startWebhook(subscription: Subscription): Promise<void> {
    const { config, metrics, logger, store } = this.deps;
    const sink = new WebhookSink({
      subscription,
      settings: config.webhook,
      metrics,
      logger: logger.child({ subscription: subscription.id }),
      // The stream is registered before its reader starts, so before any batch is delivered.
      ack: async (cursor) => {
        const stream = this.streams.get(subscription.id);
        if (stream) await stream.reader.ack(decodeCursor(cursor));
      },
      deadLetter: async (letters) => {
        const existing = store.deadLettersOf(subscription.id);
        if (existing.length + letters.length > MAX_DEAD_LETTERS) return false;
        // Time-based, so letters of instances written at the same time interleave in time order.
        let sequence = Math.max(existing.at(-1)?.sequence ?? 0, Date.now() * 1000);
        await store.putDeadLetters(
          letters.map((letter) => ({
            ...letter,
            subscription: subscription.id,
            sequence: ++sequence,
            origin: this.origin,
          })),
        );
        return true;
      },
    });
    await this.openStream(subscription.id, sink, () => sink.stop(), undefined);
  }

  private async endStream(id: string): Promise<void> {
    const stream = this.streams.get(id);
    if (!stream) return;
    this.streams.delete(id);
    stream.end();
    await stream.reader.stop();
  }

  private locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(id) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  private require(id: string): Subscription {
    const subscription = this.deps.store.get(id);
    if (!subscription) throw new WailError('NOT_FOUND', `no subscription ${id}`);
    return subscription;
  }
}

type Offsets = Map<string, Map<number, bigint>>;

/** The furthest of two sets of positions, partition by partition. */
function baseline(a: Offsets, b: Offsets | undefined): Offsets {
  const out: Offsets = new Map([...a].map(([topic, partitions]) => [topic, new Map(partitions)]));
  for (const [topic, partitions] of b ?? []) {
    const into = out.get(topic) ?? new Map<number, bigint>();
    for (const [partition, offset] of partitions)
      if (offset > (into.get(partition) ?? -1n)) into.set(partition, offset);
    out.set(topic, into);
  }
  return out;
}
