import { createHash } from 'node:crypto';
import {
  CLAIM_CHECK_CONTENT_TYPE,
  avroType,
  envelopeSchemas,
  type ClaimCheck,
  type TableRoute,
} from '@wail/contracts';
import { WailError } from '@wail/errors';
import { encodeIntent, newIntentId, type Intent } from '@wail/intent';
import type { IncomingRecord, OutgoingRecord } from '@wail/kafka';
import type { ReadResult } from '@wail/store';
import { createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { EventSizeBound } from './event-size';
import { ScheduledKey } from './key-scheduler';
import { consumerMetrics } from './metrics';
import type { ResolvedModel } from './model-cache';
import { OutputSink, type ClaimWriter, type OutputTarget } from './output-sink';
import { RowMapper } from './row-mapper';

const record = {
  type: 'record',
  name: 'Doc',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'body', type: 'string' },
  ],
};
const keyFields = [{ name: 'id', type: 'long' }];

function modelOf(options: { claimCheckBytes: number; beforeClaimChecks?: boolean }): ResolvedModel {
  const { keySchema, valueSchema } = envelopeSchemas(record, keyFields);
  const fields = valueSchema['fields'] as unknown[];
  const value = options.beforeClaimChecks
    ? { ...valueSchema, fields: fields.slice(0, -1) }
    : valueSchema;
  return {
    table: 'docs',
    version: 1,
    eventTopic: 'wail.events.docs',
    eventCluster: 'main',
    keySchemaId: 1,
    valueSchemaId: 2,
    keyType: avroType(keySchema),
    valueType: avroType(value),
    rowMapper: new RowMapper(record),
    keyMapper: new RowMapper(keySchema),
    claimCheckBytes: options.claimCheckBytes,
    claimChecks: !options.beforeClaimChecks,
  };
}

const route = { table: 'docs', store: 'mysql', visibilityWindowMs: 10_000 } as TableRoute;
const intent: Intent = {
  intentId: newIntentId(),
  table: 'docs',
  op: 'upsert',
  key: [{ name: 'id', value: 7n }],
  ts: 1_700_000_000_000_000n,
  proxyId: 'proxy-1',
};
const incoming: IncomingRecord = {
  topic: 'wail.intents',
  partition: 0,
  offset: 3n,
  key: Buffer.from('docs|7'),
  value: Buffer.from(encodeIntent(intent)),
  headers: {},
  timestamp: 0,
};

class MemoryClaims implements ClaimWriter {
  readonly objects = new Map<string, Buffer>();
  failing = false;
  async putClaim(bytes: Uint8Array, contentType: string): Promise<ClaimCheck> {
    if (this.failing) throw new WailError('CLAIM_CHECK_UNAVAILABLE', 'the object store is down');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    this.objects.set(sha256, Buffer.from(bytes));
    return { uri: `s3://b/claims/${sha256}`, size: BigInt(bytes.byteLength), sha256, contentType };
  }
}

function setup(claims: ClaimWriter | undefined, answered: Intent = intent) {
  const registry = createMetricsRegistry('test');
  const emitted: OutgoingRecord[] = [];
  const owner = {
    topic: 'wail.intents',
    partition: 0,
    revoked: false,
    delivery: {
      emit: async (records: OutgoingRecord[]) => {
        emitted.push(...records);
      },
    },
  } as unknown as OutputTarget;
  const sink = new OutputSink({
    unmaterializedTopic: 'u',
    deadLetterTopic: 'd',
    eventSize: new EventSizeBound(10_000_000, undefined),
    claims,
    metrics: consumerMetrics(registry),
    logger: silentLogger(),
    now: () => 0,
  });
  const publish = (model: ResolvedModel, body: string) =>
    sink.publish(
      new ScheduledKey('docs|7', owner),
      route,
      model,
      { state: 'present', row: { id: 7n, body }, wailTs: intent.ts },
      [{ intent: answered, record: incoming }],
      intent.ts,
    );
  const unmaterialized = (state: ReadResult, count = 1) =>
    sink.unmaterialized(
      new ScheduledKey('docs|7', owner),
      route,
      state,
      Array.from({ length: count }, () => ({ intent, record: incoming })),
    );
  return { emitted, publish, unmaterialized, registry };
}

const decode = (model: ResolvedModel, value: Buffer | null) =>
  model.valueType.fromBuffer((value as Buffer).subarray(5)) as Record<string, unknown>;

describe('OutputSink claim checks', () => {
  it('publishes a row over the threshold as a pointer to the full event value, stored first', async () => {
    const claims = new MemoryClaims();
    const { emitted, publish } = setup(claims);
    const model = modelOf({ claimCheckBytes: 1024 });
    await publish(model, 'x'.repeat(5000));
    expect(emitted).toHaveLength(1);
    const event = decode(model, emitted[0]!.value);
    const pointer = event['claimCheck'] as ClaimCheck;
    expect(event).toMatchObject({ op: 'UPSERT', after: null, key: { id: 7n } });
    expect(pointer.contentType).toBe(CLAIM_CHECK_CONTENT_TYPE);
    const stored = claims.objects.get(pointer.sha256)!;
    expect(BigInt(stored.length)).toBe(pointer.size);
    // The object is the Confluent-framed event with the row and no pointer.
    expect(stored.subarray(0, 5).toString('hex')).toBe('0000000002');
    expect(decode(model, stored)).toMatchObject({
      after: { id: 7n, body: 'x'.repeat(5000) },
      claimCheck: null,
    });
  });

  it('publishes a row at or under the threshold as it is, storing nothing', async () => {
    const claims = new MemoryClaims();
    const { emitted, publish } = setup(claims);
    const model = modelOf({ claimCheckBytes: 900_000 });
    await publish(model, 'small');
    expect(decode(model, emitted[0]!.value)).toMatchObject({
      after: { body: 'small' },
      claimCheck: null,
    });
    expect(claims.objects.size).toBe(0);
  });

  it('emits nothing when the object store fails, with a retriable CLAIM_CHECK_UNAVAILABLE', async () => {
    const claims = new MemoryClaims();
    claims.failing = true;
    const { emitted, publish } = setup(claims);
    await expect(
      publish(modelOf({ claimCheckBytes: 1024 }), 'x'.repeat(5000)),
    ).rejects.toMatchObject({ code: 'CLAIM_CHECK_UNAVAILABLE', retriable: true });
    expect(emitted).toHaveLength(0);
  });

  it('keeps today’s behaviour without an object store, or with an envelope registered before claim checks', async () => {
    const withoutStore = setup(undefined);
    const model = modelOf({ claimCheckBytes: 1024 });
    await withoutStore.publish(model, 'x'.repeat(5000));
    expect(decode(model, withoutStore.emitted[0]!.value)).toMatchObject({
      after: { body: 'x'.repeat(5000) },
    });
    const claims = new MemoryClaims();
    const older = setup(claims);
    const old = modelOf({ claimCheckBytes: 1024, beforeClaimChecks: true });
    await older.publish(old, 'x'.repeat(5000));
    expect(decode(old, older.emitted[0]!.value)).toMatchObject({
      after: { body: 'x'.repeat(5000) },
    });
    expect(claims.objects.size).toBe(0);
  });
});

describe('OutputSink unmaterialized intents', () => {
  it('counts them by table and by what the strong read saw, a fixed set of reasons', async () => {
    const { emitted, unmaterialized, registry } = setup(undefined);
    const older = intent.ts - 1n;
    await unmaterialized({ state: 'absent', deletedTs: undefined }, 2);
    await unmaterialized({ state: 'present', row: { id: 7n, body: 'old' }, wailTs: older });
    await unmaterialized({ state: 'absent', deletedTs: older }, 3);
    expect(emitted).toHaveLength(6);
    const series = (await registry.getSingleMetricAsString('wail_consumer_unmaterialized_total'))
      .split('\n')
      .filter((line) => !line.startsWith('#'));
    expect(series).toEqual([
      'wail_consumer_unmaterialized_total{table="docs",reason="row-missing",service="test"} 2',
      'wail_consumer_unmaterialized_total{table="docs",reason="older-version",service="test"} 1',
      'wail_consumer_unmaterialized_total{table="docs",reason="older-delete",service="test"} 3',
    ]);
  });
});

describe('OutputSink metrics', () => {
  const model = modelOf({ claimCheckBytes: 1_000_000 });
  const count = async (registry: ReturnType<typeof setup>['registry'], name: string) =>
    (await registry.getMetricsAsJSON())
      .find((metric) => metric.name === name)!
      .values.filter((value) => !('metricName' in value) || value.metricName === `${name}_count`)
      .reduce((sum, value) => sum + value.value, 0);

  it('times an event from its write’s intent, and counts a refresh’s event without timing it (its ts is the scan’s)', async () => {
    const write = setup(undefined);
    await write.publish(model, 'a');
    expect(await count(write.registry, 'wail_consumer_intent_to_event_seconds')).toBe(1);

    const refresh = setup(undefined, { ...intent, op: 'refresh', proxyId: 'backfill' });
    await refresh.publish(model, 'a');
    expect(refresh.emitted).toHaveLength(1);
    expect(await count(refresh.registry, 'wail_consumer_events_total')).toBe(1);
    expect(await count(refresh.registry, 'wail_consumer_intent_to_event_seconds')).toBe(0);
  });
});
