import type { TableRoute } from '@wail/contracts';
import { WailError } from '@wail/errors';
import { newIntentId } from '@wail/intent';
import type { ReadConsistency, ReadResult, RowStore, StoreKind } from '@wail/store';
import { silentLogger } from '@wail/telemetry';
import {
  KeyRound,
  deadLetterFailure,
  expiredIntents,
  sortRefreshes,
  versionToPublish,
  type DeadLetterReason,
  type RoundOutputs,
} from './key-round';
import { ScheduledKey, type KeyOwner, type PendingIntent } from './key-scheduler';
import type { ResolvedModel } from './model-cache';

const NOW = 1_800_000_000_000; // ms
const route: TableRoute = {
  table: 'customers',
  store: 'mysql',
  database: 'shop',
  physicalTable: 'customers',
  keyColumns: ['id'],
  intentTopic: 'wail.intents',
  intentCluster: 'main',
  failureMode: 'transactional',
  visibilityWindowMs: 10_000,
  revision: 1,
  modelVersion: 1,
};
const model = { table: 'customers', version: 1, eventTopic: 'wail.events.customers' };

let offset = 0n;
/** An intent of key id=7 written `agoMs` before NOW (its ts, in µs). */
function pending(agoMs: number, table = 'customers'): PendingIntent {
  const ts = BigInt(NOW - agoMs) * 1000n;
  return {
    intent: {
      intentId: newIntentId(),
      table,
      op: 'upsert',
      key: [{ name: 'id', value: 7n }],
      ts,
      proxyId: 'p',
    },
    record: {
      topic: 'wail.intents',
      partition: 0,
      offset: offset++,
      key: null,
      value: null,
      headers: {},
      timestamp: 0,
    },
  };
}
/** A backfill's refresh of key id=7, the scan having read the row at version `agoMs` before NOW. */
function refresh(agoMs: number): PendingIntent {
  const p = pending(agoMs);
  return { ...p, intent: { ...p.intent, op: 'refresh', proxyId: 'backfill' } };
}
/** A delete of key id=7 `agoMs` before NOW. */
function deletion(agoMs: number): PendingIntent {
  const p = pending(agoMs);
  return { ...p, intent: { ...p.intent, op: 'delete' } };
}
const present = (p: PendingIntent, plusUs = 0n): ReadResult => ({
  state: 'present',
  row: { id: 7n },
  wailTs: p.intent.ts + plusUs,
});
const absent: ReadResult = { state: 'absent', deletedTs: undefined };

interface Owner extends KeyOwner {
  revoked: boolean;
}

function harness(
  options: {
    reads?: readonly (ReadResult | Error)[];
    routeFound?: boolean;
    modelFound?: boolean;
    storeFound?: boolean;
    forbidden?: string;
    unreachableCluster?: string;
    published?: bigint;
    publishes?: (version: bigint, intents: readonly PendingIntent[]) => boolean;
    publishFails?: Error;
    graceMs?: number;
  } = {},
) {
  const reads: ReadConsistency[] = [];
  const script = [...(options.reads ?? [])];
  const store = {
    read: async (_target: unknown, _key: unknown, consistency: ReadConsistency) => {
      reads.push(consistency);
      const next = script.shift();
      if (next === undefined) throw new Error('unexpected read');
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as RowStore;
  const published = new Map<string, bigint>();
  if (options.published !== undefined) published.set('k', options.published);
  const calls = {
    published: [] as { version: bigint; intents: number }[],
    /** The intents each event answered, in publish order. */
    answered: [] as PendingIntent[][],
    unmaterialized: [] as PendingIntent[][],
    deadLetters: [] as DeadLetterReason[],
    finished: [] as PendingIntent[],
    /** Intent → visible delays observed, in seconds. */
    visible: [] as number[],
  };
  const outputs: RoundOutputs<Owner> = {
    publish: async (_key, _route, _model, _state, intents, version) => {
      if (options.publishFails) throw options.publishFails;
      calls.published.push({ version, intents: intents.length });
      calls.answered.push([...intents]);
    },
    unmaterialized: async (_key, _route, _state, intents) => {
      calls.unmaterialized.push([...intents]);
    },
    deadLetter: async (_owner, _intents, reason) => {
      calls.deadLetters.push(reason);
    },
  };
  let now = NOW;
  const round = new KeyRound<Owner>({
    routes: { get: async () => (options.routeFound === false ? undefined : route) },
    models: {
      get: async () => (options.modelFound === false ? undefined : (model as ResolvedModel)),
    },
    stores: new Map<StoreKind, RowStore>(options.storeFound === false ? [] : [['mysql', store]]),
    forbiddenTopic: () => options.forbidden,
    eventClusterProblem: () => options.unreachableCluster,
    published,
    publishes: options.publishes ?? (() => true),
    outputs,
    finish: (key, intents) => {
      calls.finished.push(...intents);
      const done = new Set(intents);
      key.queue.splice(0, key.queue.length, ...key.queue.filter((p) => !done.has(p)));
    },
    metrics: {
      reads: { inc: () => undefined },
      visible: { observe: (seconds: number) => calls.visible.push(seconds) },
    } as never,
    logger: silentLogger(),
    graceMs: options.graceMs ?? 5000,
    now: () => now,
  });
  const owner: Owner = { revoked: false };
  const key = new ScheduledKey<Owner>('k', owner);
  key.firstAttemptAt = NOW;
  return {
    round,
    key,
    owner,
    reads,
    calls,
    advance: (ms: number) => (now += ms),
    run: (...intents: PendingIntent[]) => {
      key.queue.push(...intents);
      return round.run(key);
    },
  };
}

describe('the per-key round', () => {
  it('publishes the latest state once when three intents for one key arrive together', async () => {
    const [a, b, c] = [pending(30), pending(20), pending(10)];
    const h = harness({ reads: [present(c!)] });
    expect(await h.run(a!, b!, c!)).toBe('settled');
    expect(h.reads).toEqual(['fast']);
    expect(h.calls.published).toEqual([{ version: c!.intent.ts, intents: 3 }]);
    expect(h.calls.finished).toHaveLength(3);
  });

  it('waits for an intent the read does not show yet, and reads strongly on the retry', async () => {
    const p = pending(10);
    const h = harness({ reads: [absent, present(p)] });
    expect(await h.run(p)).toBe('retry');
    expect(h.calls.finished).toHaveLength(0);
    h.key.attempts = 1;
    h.advance(200);
    expect(await h.round.run(h.key)).toBe('settled');
    expect(h.reads).toEqual(['fast', 'strong']);
    expect(h.calls.published).toHaveLength(1);
    // Visible at the read that found it: 10 ms before the first read, 200 ms later.
    expect(h.calls.visible).toEqual([0.21]);
  });

  it('records an intent unmaterialized only after a strong read past its window', async () => {
    const p = pending(20_000);
    const h = harness({ reads: [absent, absent] });
    expect(await h.run(p)).toBe('retry');
    expect(h.calls.unmaterialized).toHaveLength(0);
    h.key.attempts = 1;
    expect(await h.round.run(h.key)).toBe('settled');
    expect(h.calls.unmaterialized).toEqual([[p]]);
    expect(h.calls.published).toHaveLength(0);
  });

  it('never publishes a version at or below the last one published', async () => {
    const p = pending(10);
    const h = harness({ reads: [present(p, 5n)], published: p.intent.ts + 5n });
    expect(await h.run(p)).toBe('settled');
    expect(h.calls.published).toHaveLength(0);
    expect(h.calls.finished).toEqual([p]);
  });

  it('skips the read when a published event already covers every pending intent', async () => {
    const p = pending(10);
    const h = harness({ published: p.intent.ts });
    expect(await h.run(p)).toBe('settled');
    expect(h.reads).toHaveLength(0);
    expect(h.calls.finished).toEqual([p]);
  });

  it('lets the delivery mode refuse a version the intents did not write', async () => {
    const p = pending(10);
    const h = harness({
      reads: [present(p, 99n)],
      publishes: (version, intents) => intents.some((i) => i.intent.ts === version),
    });
    expect(await h.run(p)).toBe('settled');
    expect(h.calls.published).toHaveLength(0);
    expect(h.calls.finished).toEqual([p]);
  });

  it('dead-letters a table without a route only once the grace period is over', async () => {
    const p = pending(10);
    const h = harness({ routeFound: false, graceMs: 5000 });
    expect(await h.run(p)).toBe('retry');
    h.advance(5000);
    h.key.attempts = 1;
    expect(await h.round.run(h.key)).toBe('settled');
    expect(h.calls.deadLetters).toEqual([
      { code: 'UNKNOWN_TABLE_PAST_GRACE', message: 'table "customers" has no route', attempts: 2 },
    ]);
    expect(h.calls.finished).toEqual([p]);
  });

  it.each([
    ['no model', { modelFound: false }, 'MODEL_MISSING'],
    ['no store', { storeFound: false }, 'STORE_NOT_CONFIGURED'],
    [
      'an event cluster it cannot publish to',
      { unreachableCluster: 'no brokers' },
      'CLUSTER_NOT_CONFIGURED',
    ],
    [
      'a refusal of the database',
      { reads: [new WailError('DATABASE_REJECTED', 'refused')] },
      'DATABASE_REJECTED',
    ],
  ] as const)('dead-letters %s past the grace period', async (_name, options, code) => {
    const h = harness({ ...options, graceMs: 0 });
    expect(await h.run(pending(10))).toBe('settled');
    expect(h.calls.deadLetters.map((d) => d.code)).toEqual([code]);
  });

  it('dead-letters an event topic it may not write at once, without reading the row', async () => {
    const h = harness({ forbidden: 'the intent topic "wail.intents" this consumer reads' });
    expect(await h.run(pending(10))).toBe('settled');
    expect(h.reads).toHaveLength(0);
    expect(h.calls.deadLetters[0]!.code).toBe('EVENT_TOPIC_FORBIDDEN');
  });

  it('dead-letters an event that cannot be encoded at once', async () => {
    const p = pending(10);
    const h = harness({ reads: [present(p)], publishFails: new WailError('ENCODE_FAILED', 'x') });
    expect(await h.run(p)).toBe('settled');
    expect(h.calls.deadLetters.map((d) => d.code)).toEqual(['ENCODE_FAILED']);
  });

  it('retries what the catalogue calls retriable, and failures without a code, past the grace period too', async () => {
    const h = harness({
      reads: [new WailError('DATABASE_UNAVAILABLE', 'down'), new TypeError('driver')],
      graceMs: 0,
    });
    expect(await h.run(pending(10))).toBe('retry');
    expect(await h.round.run(h.key)).toBe('retry');
    expect(h.calls.deadLetters).toHaveLength(0);
  });

  it('does nothing with a read that returns after its partition was revoked', async () => {
    const p = pending(10);
    const h = harness({ reads: [present(p)] });
    h.owner.revoked = true;
    expect(await h.run(p)).toBe('settled');
    expect(h.calls.published).toHaveLength(0);
    expect(h.calls.finished).toHaveLength(0);
  });
});

describe('round decisions', () => {
  it('retry or dead-letter follows the catalogue', () => {
    expect(deadLetterFailure(new WailError('REPOSITORY_UNAVAILABLE', 'x'), true)).toBeUndefined();
    expect(deadLetterFailure(new WailError('ROUTE_MISMATCH', 'x'), false)).toBeUndefined();
    expect(deadLetterFailure(new WailError('ROUTE_MISMATCH', 'x'), true)).toEqual({
      code: 'ROUTE_MISMATCH',
      message: 'x',
    });
    expect(deadLetterFailure(new WailError('EVENT_TOO_LARGE', 'y'), false)).toEqual({
      code: 'EVENT_TOO_LARGE',
      message: 'y',
    });
    expect(deadLetterFailure(new Error('no code'), true)).toBeUndefined();
  });

  it('publishes a deleted row at its delete version', () => {
    const p = pending(10);
    const deleted: ReadResult = { state: 'absent', deletedTs: p.intent.ts };
    expect(versionToPublish(deleted, [p], undefined, () => true)).toBe(p.intent.ts);
    expect(versionToPublish(deleted, [p], p.intent.ts, () => true)).toBeUndefined();
  });

  it('expires only after a strong read and only past the window', () => {
    const [old, fresh] = [pending(10_001), pending(9_000)];
    expect(expiredIntents([old!, fresh!], 'fast', 10_000, NOW)).toEqual([]);
    expect(expiredIntents([old!, fresh!], 'strong', 10_000, NOW)).toEqual([old]);
  });
});

/** `publishes` of exactly-once delivery: a version only by the intent that wrote it. */
const exactlyOnce = (version: bigint, intents: readonly PendingIntent[]) =>
  intents.some((i) => i.intent.ts === version);

describe('refresh intents (backfill)', () => {
  it('publishes the current state of an existing row at its version, once', async () => {
    const r = refresh(60_000);
    const h = harness({ reads: [present(r)] });
    expect(await h.run(r)).toBe('settled');
    expect(h.reads).toEqual(['fast']);
    expect(h.calls.published).toEqual([{ version: r.intent.ts, intents: 1 }]);
    expect(h.calls.answered).toEqual([[r]]);
    expect(h.calls.finished).toEqual([r]);
  });

  it('publishes the newer state of a row written since the scan, unless the delivery mode leaves it to that write', async () => {
    const r = refresh(60_000);
    const h = harness({ reads: [present(r, 5n)] });
    expect(await h.run(r)).toBe('settled');
    expect(h.calls.published).toEqual([{ version: r.intent.ts + 5n, intents: 1 }]);

    const exactly = harness({ reads: [present(r, 5n)], publishes: exactlyOnce });
    expect(await exactly.run(r)).toBe('settled');
    expect(exactly.calls.published).toHaveLength(0);
    expect(exactly.calls.finished).toEqual([r]);
  });

  it('publishes nothing when an event at its version or later was already published', async () => {
    const r = refresh(60_000);
    const atVersion = harness({ published: r.intent.ts });
    expect(await atVersion.run(r)).toBe('settled');
    expect(atVersion.reads).toHaveLength(0);
    expect(atVersion.calls.published).toHaveLength(0);
    expect(atVersion.calls.finished).toEqual([r]);

    // Read for a pending write: the row moved on, but an event newer than the refresh exists.
    const w = pending(10);
    const later = harness({ reads: [present(r, 10n)], published: r.intent.ts + 5n });
    expect(await later.run(r, w)).toBe('retry');
    expect(later.calls.published).toHaveLength(0);
    expect(later.calls.finished).toEqual([r]);
    expect(later.key.queue).toEqual([w]);
  });

  it('settles a refresh of a row deleted since the scan with no event and no record, once a strong read says it is gone', async () => {
    const r = refresh(60_000);
    const h = harness({ reads: [absent, absent] });
    expect(await h.run(r)).toBe('retry');
    expect(h.calls.finished).toHaveLength(0);
    h.key.attempts = 1;
    expect(await h.round.run(h.key)).toBe('settled');
    expect(h.reads).toEqual(['fast', 'strong']);
    expect(h.calls.published).toHaveLength(0);
    expect(h.calls.unmaterialized).toHaveLength(0);
    expect(h.calls.finished).toEqual([r]);
  });

  it('settles at once on a recorded delete newer than the scan, without publishing a DELETE', async () => {
    const r = refresh(60_000);
    const h = harness({ reads: [{ state: 'absent', deletedTs: r.intent.ts + 1n }] });
    expect(await h.run(r)).toBe('settled');
    expect(h.calls.published).toHaveLength(0);
    expect(h.calls.unmaterialized).toHaveLength(0);
    expect(h.calls.finished).toEqual([r]);
  });

  it('waits for a row older than the refresh until a strong read past the grace period, then settles silently', async () => {
    const r = refresh(60_000);
    const older = present(r, -1n);
    const h = harness({ reads: [older, older, older], graceMs: 5000 });
    expect(await h.run(r)).toBe('retry');
    h.key.attempts = 1;
    expect(await h.round.run(h.key)).toBe('retry');
    h.advance(5000);
    h.key.attempts = 2;
    expect(await h.round.run(h.key)).toBe('settled');
    expect(h.reads).toEqual(['fast', 'strong', 'strong']);
    expect(h.calls.published).toHaveLength(0);
    expect(h.calls.unmaterialized).toHaveLength(0);
    expect(h.calls.finished).toEqual([r]);
  });

  describe('coalesced with writes of the key, changes nothing they produce', () => {
    /** Runs `writes` alone and with `refreshes`, with the same reads, and both outcomes. */
    async function both(
      reads: ReadResult[],
      writes: PendingIntent[],
      refreshes: PendingIntent[],
      options: Parameters<typeof harness>[0] = {},
    ) {
      const alone = harness({ ...options, reads });
      const aloneEnd = await alone.run(...writes);
      const mixed = harness({ ...options, reads });
      const mixedEnd = await mixed.run(...writes, ...refreshes);
      return { alone, aloneEnd, mixed, mixedEnd };
    }

    it.each(['at-least-once', 'exactly-once'] as const)(
      'an upsert at the row version, a refresh before it (%s)',
      async (mode) => {
        const [r, u] = [refresh(60_000), pending(10)];
        const { alone, aloneEnd, mixed, mixedEnd } = await both([present(u!)], [u!], [r!], {
          ...(mode === 'exactly-once' ? { publishes: exactlyOnce } : {}),
        });
        expect(mixedEnd).toBe(aloneEnd);
        expect(mixed.calls.answered).toEqual(alone.calls.answered);
        expect(mixed.calls.answered).toEqual([[u]]);
        expect(mixed.calls.published).toEqual(alone.calls.published);
        expect(mixed.calls.finished).toEqual([u, r]);
      },
    );

    it('a delete and a refresh of the row it deleted: the DELETE answers the delete only', async () => {
      const [r, d] = [refresh(60_000), deletion(10)];
      const gone: ReadResult = { state: 'absent', deletedTs: d.intent.ts };
      const { alone, mixed, mixedEnd } = await both([gone], [d], [r]);
      expect(mixedEnd).toBe('settled');
      expect(mixed.calls.published).toEqual([{ version: d.intent.ts, intents: 1 }]);
      expect(mixed.calls.answered).toEqual(alone.calls.answered);
      expect(mixed.calls.finished).toEqual([d, r]);
    });

    it('a refresh after the upsert it read: covered by the upsert’s event', async () => {
      const [u, r] = [pending(10), refresh(10)]; // the scan read the upsert's version
      const { alone, mixed } = await both([present(u)], [u], [r]);
      expect(mixed.calls.answered).toEqual(alone.calls.answered);
      expect(mixed.calls.answered).toEqual([[u]]);
    });

    it('an upsert not visible yet: still retried and recorded as before; the refresh publishes the state it read', async () => {
      const [r, u] = [refresh(60_000), pending(20_000)];
      const stale = present(r);
      const { alone, aloneEnd, mixed, mixedEnd } = await both([stale, stale], [u!], [r!]);
      expect(aloneEnd).toBe('retry');
      expect(mixedEnd).toBe('retry');
      expect(mixed.calls.answered).toEqual([[r]]);
      expect(mixed.calls.published).toEqual([{ version: r!.intent.ts, intents: 1 }]);
      for (const h of [alone, mixed]) {
        h.key.attempts = 1;
        expect(await h.round.run(h.key)).toBe('settled');
      }
      expect(mixed.calls.unmaterialized).toEqual(alone.calls.unmaterialized);
      expect(mixed.calls.unmaterialized).toEqual([[u]]);
    });

    it('an upsert whose version the delivery mode leaves to a later write: the refresh publishes only what it read itself', async () => {
      const [u, r] = [pending(20), refresh(10)];
      const row = present(r);
      const { alone, mixed } = await both([row], [u!], [r!], { publishes: exactlyOnce });
      expect(alone.calls.published).toHaveLength(0);
      expect(mixed.calls.answered).toEqual([[r]]);
      expect(mixed.calls.published).toEqual([{ version: r!.intent.ts, intents: 1 }]);
    });
  });
});

describe('refresh decisions', () => {
  const r = refresh(60_000);
  const ts = r.intent.ts;
  it.each([
    ['covered by a published version', present(r), ts, 'fast', false, 'settled'],
    ['the row at its version', present(r), undefined, 'fast', false, 'visible'],
    ['the row newer', present(r, 1n), ts - 1n, 'fast', false, 'visible'],
    ['absent on a fast read', absent, undefined, 'fast', true, 'waiting'],
    ['absent on a strong read', absent, undefined, 'strong', false, 'settled'],
    [
      'a recorded delete newer than the scan',
      { state: 'absent', deletedTs: ts } as ReadResult,
      undefined,
      'fast',
      false,
      'settled',
    ],
    ['the row older, fast, past grace', present(r, -1n), undefined, 'fast', true, 'waiting'],
    ['the row older, strong, in grace', present(r, -1n), undefined, 'strong', false, 'waiting'],
    ['the row older, strong, past grace', present(r, -1n), undefined, 'strong', true, 'stale'],
  ] as const)('%s', (_name, state, covered, consistency, pastGrace, expected) => {
    const outcome = sortRefreshes(state, [r], covered, consistency, pastGrace);
    expect(outcome[expected]).toEqual([r]);
    expect(Object.values(outcome).flat()).toHaveLength(1);
  });
});
