import {
  deadLetterHeaders,
  eventEnvelope,
  intentJson,
  type ClaimCheck,
  type DeadLetterCode,
  type TableRoute,
} from '@wail/contracts';
import { WailError } from '@wail/errors';
import { intentIdToString, type Intent } from '@wail/intent';
import type { IncomingRecord, OutgoingRecord } from '@wail/kafka';
import type { ReadResult, StoredValue } from '@wail/store';
import { toWireFormat } from './avro';
import type { PendingIntent } from './key-scheduler';
import type { ResolvedModel } from './model-cache';

/** The version an event of this read carries: the row's `wail_ts`, or its recorded delete's ts. */
export function eventVersion(state: ReadResult): bigint | undefined {
  return state.state === 'present' ? state.wailTs : state.deletedTs;
}

/**
 * The event of a key's current state (DESIGN "Events"): the Avro key record
 * and the envelope, both in Confluent wire format, named after `newest` — the
 * newest intent it answers, whose trace it continues. With `claimCheck` the
 * envelope carries the pointer and no `after` (the object holds the event
 * built without it). A row the model cannot represent throws ENCODE_FAILED.
 */
export function eventRecord(
  route: TableRoute,
  model: ResolvedModel,
  state: ReadResult,
  newest: Intent,
  version: bigint,
  trace: Record<string, string>,
  claimCheck?: ClaimCheck,
): OutgoingRecord {
  try {
    const keyRow: Record<string, StoredValue> = {};
    for (const column of newest.key) {
      keyRow[column.name] =
        column.value instanceof Uint8Array ? Buffer.from(column.value) : column.value;
    }
    const keyRecord = model.keyMapper.map(keyRow);
    const envelope = eventEnvelope({
      key: keyRecord,
      after:
        state.state === 'present' && claimCheck === undefined
          ? model.rowMapper.map(state.row)
          : null,
      version,
      table: route.table,
      store: route.store,
      intent: newest,
      modelVersion: model.version,
      ...(claimCheck === undefined ? {} : { claimCheck }),
    });
    return {
      topic: model.eventTopic,
      key: toWireFormat(model.keySchemaId, model.keyType, keyRecord),
      value: toWireFormat(model.valueSchemaId, model.valueType, envelope),
      headers: { ...trace, 'wail.intent-id': intentIdToString(newest.intentId) },
    };
  } catch (error) {
    throw new WailError(
      'ENCODE_FAILED',
      `the row cannot be encoded with model version ${model.version}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Why an intent's write was not visible when its window closed, from the row
 * a strong read observed (a fixed set: the `reason` label of
 * wail_consumer_unmaterialized_total): no row and no recorded delete; a row
 * at an older version; a recorded delete older than the intent.
 */
export const UNMATERIALIZED_REASONS = ['row-missing', 'older-version', 'older-delete'] as const;
export type UnmaterializedReason = (typeof UNMATERIALIZED_REASONS)[number];

export function unmaterializedReason(state: ReadResult): UnmaterializedReason {
  if (state.state === 'present') return 'older-version';
  return state.deletedTs === undefined ? 'row-missing' : 'older-delete';
}

/** The JSON record of an intent whose write never became visible within its table's window. */
export function unmaterializedRecord(
  topic: string,
  route: TableRoute,
  state: ReadResult,
  { intent, record }: PendingIntent,
  now: number,
): OutgoingRecord {
  const observed =
    state.state === 'present'
      ? { state: 'present', wailTs: state.wailTs.toString() }
      : { state: 'absent', deletedTs: state.deletedTs?.toString() ?? null };
  return {
    topic,
    key: record.key,
    value: Buffer.from(
      JSON.stringify({
        ...intentJson(intent),
        reason: `not visible within the visibility window of ${route.visibilityWindowMs} ms`,
        observed,
        recordedAt: new Date(now).toISOString(),
        origin: {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset.toString(),
        },
      }),
    ),
    headers: traceparent(record),
  };
}

/** The intent record as it arrived, with the reason and origin in the headers `libs/dead-letters` reads. */
export function deadLetterRecord(
  topic: string,
  record: IncomingRecord,
  failure: { code: DeadLetterCode; message: string; attempts: number },
  now: number,
): OutgoingRecord {
  return {
    topic,
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      ...deadLetterHeaders({
        code: failure.code,
        message: failure.message,
        origin: record,
        attempts: failure.attempts,
        failedAt: new Date(now),
      }),
    },
  };
}

function traceparent(record: IncomingRecord): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = record.headers[name];
    if (value) headers[name] = value;
  }
  return headers;
}
