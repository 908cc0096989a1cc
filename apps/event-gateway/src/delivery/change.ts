import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { TimeoutMiddleware } from 'mappersmith/middleware/timeout';
import { READABLE_LOGICAL_TYPES, isoToMicros } from '@wail/contracts';
import { WailError } from '@wail/errors';
import type { IncomingRecord } from '@wail/kafka';
import { resolveClaimCheck, type ClaimPointer, type ClaimReader } from '@wail/object-store';

/** A change as subscribers receive it (SSE `data:`, webhook batches, gRPC `json`). */
export interface Change {
  table: string;
  key: Record<string, unknown>;
  op: 'UPSERT' | 'DELETE';
  /** The row's version: its `wail_ts`, microseconds since the epoch. */
  version: number;
  modelVersion: number;
  /** The row as the table's data model has it; null for a delete. */
  after: Record<string, unknown> | null;
}

export interface DecodedChange {
  change: Change;
  /**
   * The event's value as published: Confluent wire format (magic byte, schema
   * id, Avro). For a claim-checked event, the full event stored in the
   * object store (the same frame, `after` included), so it agrees with `change`.
   */
  avro: Buffer;
}

interface EnvelopeValue {
  op: 'UPSERT' | 'DELETE';
  key: Record<string, unknown>;
  after: Record<string, unknown> | null;
  version: string;
  source: { table: string };
  modelVersion: number;
  /** Absent in envelopes registered before claim checks. */
  claimCheck?: ClaimPointer | null;
}

/**
 * Turns event records into changes: the value is decoded with the schema its
 * Confluent frame names, fetched from the schema repository (and cached) by
 * the standard kafkajs registry client, as any Kafka consumer of WAIL would.
 * A claim-checked event is resolved through `claims`: its row is fetched
 * from the object store, checked, and delivered as `after`.
 */
export class ChangeDecoder {
  private readonly registry: SchemaRegistry;

  private readonly claims: ClaimReader | undefined;

  /**
   * `timeoutMs` bounds each schema request: without it a repository that never
   * answers (its database restarting) holds the reader that asked forever.
   */
  constructor(
    repositoryUrl: string,
    options: { claims?: ClaimReader | undefined; timeoutMs?: number } = {},
  ) {
    this.claims = options.claims;
    const timeoutMs = options.timeoutMs ?? 5000;
    this.registry = new SchemaRegistry(
      { host: repositoryUrl, middlewares: [TimeoutMiddleware(timeoutMs)] },
      { [SchemaType.AVRO]: { logicalTypes: READABLE_LOGICAL_TYPES } },
    );
  }

  /**
   * The record's change; undefined for a record that is not a WAIL event
   * (no value, no Confluent frame, not an envelope). A schema the repository
   * cannot serve now is REPOSITORY_UNAVAILABLE (retry); one it does not have is
   * ENCODE_FAILED (skip). A claim check whose object store does not answer is
   * CLAIM_CHECK_UNAVAILABLE (retry); an object that is not the one the pointer
   * names, CLAIM_CHECK_MISMATCH (skip). With `wanted`, an event of another
   * table is undefined before its claim check is fetched: a subscription never
   * waits on (or pays for) another table's objects.
   */
  async decode(
    record: IncomingRecord,
    wanted?: ReadonlySet<string>,
  ): Promise<DecodedChange | undefined> {
    const value = record.value;
    if (value === null || value.length < 6 || value[0] !== 0) return undefined;
    const published = await this.decodeValue(value, record);
    if (!published || typeof published !== 'object' || !published.source || !published.op)
      return undefined;
    if (wanted && !wanted.has(published.source.table)) return undefined;
    let avro = value;
    const decoded = await resolveClaimCheck(this.claims, published, async (stored) => {
      avro = stored;
      return this.decodeValue(stored, record);
    });
    return {
      change: {
        table: decoded.source.table,
        key: decoded.key,
        op: decoded.op,
        version: isoToMicros(decoded.version),
        modelVersion: decoded.modelVersion,
        after: decoded.after,
      },
      avro,
    };
  }

  private async decodeValue(value: Buffer, record: IncomingRecord): Promise<EnvelopeValue> {
    try {
      return (await this.registry.decode(value)) as EnvelopeValue;
    } catch (error) {
      const status = (error as { status?: number }).status;
      // The registry's 404 and Avro's own errors (no status) say the bytes can never be read;
      // any other answer, or none (the client reports a lost connection as 400), may pass.
      if (status === 404 || (status === undefined && !isNetwork(error)))
        throw new WailError(
          'ENCODE_FAILED',
          `event at ${record.topic}/${record.partition}@${record.offset} cannot be decoded: ${(error as Error).message.slice(0, 200)}`,
          { cause: error },
        );
      throw new WailError(
        'REPOSITORY_UNAVAILABLE',
        `schema ${value.readInt32BE(1)} could not be fetched: ${(error as Error).message.slice(0, 200)}`,
        { cause: error },
      );
    }
  }
}

function isNetwork(error: unknown): boolean {
  const text = `${(error as Error).message} ${(error as { code?: string }).code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|timeout/i.test(
    text,
  );
}
