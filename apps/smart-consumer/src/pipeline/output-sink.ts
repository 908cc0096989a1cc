import { SpanKind } from '@opentelemetry/api';
import { CLAIM_CHECK_CONTENT_TYPE, type ClaimCheck, type TableRoute } from '@wail/contracts';
import { WailError, isWailError } from '@wail/errors';
import { recordSize, type IncomingRecord } from '@wail/kafka';
import type { ReadResult } from '@wail/store';
import { traceHeaders, tracer, type Logger } from '@wail/telemetry';
import type { PartitionDelivery } from './delivery';
import type { EventSizeBound } from './event-size';
import type { KeyOwner, PendingIntent, ScheduledKey } from './key-scheduler';
import type { DeadLetterReason, RoundOutputs } from './key-round';
import type { ConsumerMetrics } from './metrics';
import type { ResolvedModel } from './model-cache';
import {
  deadLetterRecord,
  eventRecord,
  unmaterializedReason,
  unmaterializedRecord,
} from './output-records';

/** A partition, as far as its outputs go. */
export interface OutputTarget extends KeyOwner {
  readonly topic: string;
  readonly partition: number;
  readonly delivery: PartitionDelivery;
}

/** Where claim-checked event values go (@wail/object-store's ClaimStore). */
export interface ClaimWriter {
  putClaim(bytes: Uint8Array, contentType: string): Promise<ClaimCheck>;
}

export interface OutputSinkDeps {
  /** The object store of claim checks; without it an oversized event is dead-lettered EVENT_TOO_LARGE. */
  claims?: ClaimWriter | undefined;
  unmaterializedTopic: string;
  deadLetterTopic: string;
  eventSize: EventSizeBound;
  metrics: ConsumerMetrics;
  logger: Logger;
  now: () => number;
}

/** Builds the outputs a round asks for, hands them to the partition's delivery, and counts them. */
export class OutputSink implements RoundOutputs<OutputTarget> {
  private readonly tracer = tracer('smart-consumer');

  constructor(private readonly deps: OutputSinkDeps) {}

  async publish(
    key: ScheduledKey<OutputTarget>,
    route: TableRoute,
    model: ResolvedModel,
    state: ReadResult,
    intents: readonly PendingIntent[],
    version: bigint,
  ): Promise<void> {
    const newest = intents.reduce((a, b) => (b.intent.ts > a.intent.ts ? b : a));
    // A child of the round's span, which continues the proxy's trace.
    const span = this.tracer.startSpan('wail.event.publish', {
      kind: SpanKind.PRODUCER,
      attributes: { 'wail.table': route.table, 'wail.intents': intents.length },
    });
    try {
      const trace = traceHeaders(span);
      let record = eventRecord(route, model, state, newest.intent, version, trace);
      // The object is stored before its pointer is handed over: a failed PUT
      // (CLAIM_CHECK_UNAVAILABLE, retriable) retries the key like a store
      // outage, so no event ever points at an object that is not there.
      const claimed = await this.claimCheck(model, record);
      if (claimed)
        record = eventRecord(route, model, state, newest.intent, version, trace, claimed);
      // An event Kafka cannot take is dead-lettered, not retried forever
      // while the partition's offsets wait behind it.
      const size = recordSize(record);
      const limit = await this.deps.eventSize.limitFor(record.topic);
      if (size > limit.bytes) {
        throw new WailError(
          'EVENT_TOO_LARGE',
          `the event is ${size} bytes; the limit is ${limit.bytes} bytes (${limit.bound})`,
        );
      }
      try {
        await key.owner.delivery.emit(
          [record],
          intents.map((p) => p.record.offset),
          { keyId: key.id, version },
        );
      } catch (error) {
        if (isWailError(error) && error.code === 'PAYLOAD_TOO_LARGE') {
          this.deps.eventSize.forget();
          throw new WailError('EVENT_TOO_LARGE', `${error.message}: topic ${model.eventTopic}`, {
            cause: error,
          });
        }
        throw error;
      }
      if (claimed) this.deps.metrics.claimChecks.inc({ table: route.table });
      this.deps.metrics.events.inc({
        table: route.table,
        op: state.state === 'present' ? 'upsert' : 'delete',
      });
      // A refresh's ts is the version a backfill scan read, maybe long ago:
      // not a write's intent-to-event delay.
      if (newest.intent.op !== 'refresh')
        this.deps.metrics.lag.observe(
          Math.max(0, this.deps.now() - Number(newest.intent.ts / 1000n)) / 1000,
        );
    } finally {
      span.end();
    }
  }

  /** The pointer of the event's value once stored, when it is over its table's threshold. */
  private async claimCheck(
    model: ResolvedModel,
    record: { value: Buffer | null },
  ): Promise<ClaimCheck | undefined> {
    const { claims } = this.deps;
    if (!claims || !model.claimChecks || !record.value) return undefined;
    if (record.value.byteLength <= model.claimCheckBytes) return undefined;
    return claims.putClaim(record.value, CLAIM_CHECK_CONTENT_TYPE);
  }

  async unmaterialized(
    key: ScheduledKey<OutputTarget>,
    route: TableRoute,
    state: ReadResult,
    intents: readonly PendingIntent[],
  ): Promise<void> {
    await key.owner.delivery.emit(
      intents.map((pending) =>
        unmaterializedRecord(this.deps.unmaterializedTopic, route, state, pending, this.deps.now()),
      ),
      intents.map(({ record }) => record.offset),
    );
    const reason = unmaterializedReason(state);
    this.deps.metrics.unmaterialized.inc({ table: route.table, reason }, intents.length);
    this.deps.logger.warn(
      { table: route.table, reason, intents: intents.length },
      'intents recorded as unmaterialized',
    );
  }

  /** Retries until the dead-letter topic takes them (or the partition is gone): the offsets wait for it. */
  async deadLetter(
    owner: OutputTarget,
    intents: readonly { record: IncomingRecord }[],
    reason: DeadLetterReason,
  ): Promise<void> {
    for (;;) {
      try {
        await owner.delivery.emit(
          intents.map(({ record }) =>
            deadLetterRecord(this.deps.deadLetterTopic, record, reason, this.deps.now()),
          ),
          intents.map(({ record }) => record.offset),
        );
        break;
      } catch (error) {
        if (owner.revoked) return;
        this.deps.logger.warn({ err: error }, 'dead-letter topic unavailable; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const { code, message } = reason;
    this.deps.metrics.deadLetters.inc({ code }, intents.length);
    this.deps.logger.error(
      { code, message, intents: intents.length, topic: owner.topic, partition: owner.partition },
      'intents dead-lettered',
    );
  }
}
