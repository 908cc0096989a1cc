import { intentIdToString, type Intent } from '@wail/intent';

/**
 * The two schemas of an event topic, derived from a table's data model (an
 * Avro record whose field names are column names), and the value the
 * consumer writes with them. Schema and value are side by side so that one
 * never changes without the other:
 *
 *   key   (subject `<topic>-key`):   record <Name>Key { <key columns, route order> }
 *   value (subject `<topic>-value`): record <Name>Event {
 *     op: enum wail.Op { UPSERT, DELETE },
 *     key: <Name>Key,
 *     after: null | <Name>,            // null for a delete
 *     version: long (timestamp-micros) // the row's wail_ts
 *     source: record wail.Source { table, store, intentId, intentTs: timestamp-micros },
 *     modelVersion: int,
 *     claimCheck: null | record wail.ClaimCheck {  // default null; set when the row
 *       uri: string, size: long,                     // is in the object store: `after`
 *       sha256: string, contentType: string          // is then null and the object is the
 *     }                                              // full event value, `after` included
 *   }
 *
 * A new envelope field is always optional with a default, and placed last, so
 * readers of earlier versions keep working.
 */

/** The content type of a claim-checked object: a Confluent-framed Avro event value. */
export const CLAIM_CHECK_CONTENT_TYPE = 'application/vnd.wail.event+avro';

/**
 * Where a claim-checked event's full value is: `s3://<bucket>/<key>`, its
 * byte size, the SHA-256 of its bytes (lowercase hex) and its content type.
 */
export interface ClaimCheck {
  uri: string;
  size: bigint;
  sha256: string;
  contentType: string;
}

const CLAIM_CHECK_SCHEMA = {
  type: 'record',
  name: 'wail.ClaimCheck',
  fields: [
    { name: 'uri', type: 'string' },
    { name: 'size', type: 'long' },
    { name: 'sha256', type: 'string' },
    { name: 'contentType', type: 'string' },
  ],
};

export interface AvroField {
  name: string;
  type: unknown;
}

export interface EnvelopeSchemas {
  keySchema: Record<string, unknown>;
  valueSchema: Record<string, unknown>;
}

/** The key and envelope schemas of a data model's record; `keyFields` are its key columns' fields, in route order. */
export function envelopeSchemas(
  record: Record<string, unknown>,
  keyFields: readonly AvroField[],
): EnvelopeSchemas {
  const name = String(record['name']);
  const shortName = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
  // As in Avro: a dotted name carries its own namespace and the attribute is
  // then ignored (it may even be invalid, which the parser does not check).
  const namespace = name.includes('.')
    ? name.slice(0, name.lastIndexOf('.'))
    : typeof record['namespace'] === 'string' && record['namespace'] !== ''
      ? record['namespace']
      : undefined;
  const qualify = (local: string) => (namespace ? `${namespace}.${local}` : local);
  const keySchema = { type: 'record', name: qualify(`${shortName}Key`), fields: keyFields };
  const valueSchema = {
    type: 'record',
    name: qualify(`${shortName}Event`),
    fields: [
      { name: 'op', type: { type: 'enum', name: 'wail.Op', symbols: ['UPSERT', 'DELETE'] } },
      { name: 'key', type: keySchema },
      { name: 'after', type: ['null', record], default: null },
      { name: 'version', type: { type: 'long', logicalType: 'timestamp-micros' } },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'wail.Source',
          fields: [
            { name: 'table', type: 'string' },
            { name: 'store', type: 'string' },
            { name: 'intentId', type: 'string' },
            { name: 'intentTs', type: { type: 'long', logicalType: 'timestamp-micros' } },
          ],
        },
      },
      { name: 'modelVersion', type: 'int' },
      { name: 'claimCheck', type: ['null', CLAIM_CHECK_SCHEMA], default: null },
    ],
  };
  return { keySchema, valueSchema };
}

export type EnvelopeOp = 'UPSERT' | 'DELETE';

/** The value of an event, in the order and types of the envelope schema (longs as bigint). */
export interface EventEnvelope {
  op: EnvelopeOp;
  key: Record<string, unknown>;
  after: Record<string, unknown> | null;
  version: bigint;
  source: { table: string; store: string; intentId: string; intentTs: bigint };
  modelVersion: number;
  /** Absent in events of envelopes registered before claim checks. */
  claimCheck?: ClaimCheck | null;
}

/** Whether an envelope schema has the `claimCheck` field (those registered before it do not). */
export function envelopeHasClaimCheck(valueSchema: Record<string, unknown>): boolean {
  const fields = valueSchema['fields'];
  return (
    Array.isArray(fields) && fields.some((field) => (field as AvroField).name === 'claimCheck')
  );
}

export interface EnvelopeParts {
  /** The key record, as the key schema has it. */
  key: Record<string, unknown>;
  /** The row as the model's record, or null when the key has no row (a delete). */
  after: Record<string, unknown> | null;
  /** The row's `wail_ts`, or its delete's. */
  version: bigint;
  table: string;
  store: string;
  /** The intent the event answers (the newest of those it covers). */
  intent: Pick<Intent, 'intentId' | 'ts'>;
  modelVersion: number;
  /** The row is in the object store: `after` is then null, and the op still UPSERT. */
  claimCheck?: ClaimCheck;
}

/** The envelope value of one event. */
export function eventEnvelope(parts: EnvelopeParts): EventEnvelope {
  const claimCheck = parts.claimCheck ?? null;
  return {
    op: parts.after === null && claimCheck === null ? 'DELETE' : 'UPSERT',
    key: parts.key,
    after: parts.after,
    version: parts.version,
    source: {
      table: parts.table,
      store: parts.store,
      intentId: intentIdToString(parts.intent.intentId),
      intentTs: parts.intent.ts,
    },
    modelVersion: parts.modelVersion,
    claimCheck,
  };
}
