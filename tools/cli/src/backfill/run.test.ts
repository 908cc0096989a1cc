import { decodeIntent, canonicalKey } from '@wail/intent';
import { ROUTE_REVISION_HEADER, type TableRoute } from '@wail/contracts';
import { WailError } from '@wail/errors';
import type { OutgoingRecord } from '@wail/kafka';
import type { RowStore, ScanRequest } from '@wail/store';
import type { Checkpoint, StoredCheckpoint } from './checkpoints';
import { backfill, Interrupted, type BackfillRequest } from './run';

const route = {
  table: 'orders',
  store: 'mysql',
  database: 'shop',
  keyColumns: ['id'],
  intentTopic: 'wail.intents',
  intentCluster: 'main',
  failureMode: 'transactional',
  visibilityWindowMs: 30_000,
  revision: 7,
  modelVersion: 1,
} as unknown as TableRoute;

/** A table of `rows` ids 1..rows at version 1000 + id, scanned in pages; cursors are the last id. */
function table(rows: number, fail: (request: ScanRequest) => Error | undefined = () => undefined) {
  const scans: ScanRequest[] = [];
  const store = {
    kind: 'mysql',
    async scan(request: ScanRequest) {
      scans.push(request);
      const error = fail(request);
      if (error) throw error;
      const after = request.cursor === undefined ? 0 : Number(request.cursor);
      const ids = Array.from({ length: rows }, (_, i) => i + 1)
        .filter((id) => id > after)
        .slice(0, request.limit);
      const last = ids.at(-1);
      return {
        rows: ids.map((id) => ({
          key: [{ name: 'id', value: BigInt(id) }],
          version: BigInt(1000 + id),
        })),
        cursor: last === undefined || last === rows ? undefined : String(last),
      };
    },
    async estimateRows() {
      return rows;
    },
  } as unknown as RowStore;
  return { store, scans };
}

function harness(store: RowStore, stored?: StoredCheckpoint) {
  const appended: OutgoingRecord[] = [];
  const puts: Checkpoint[] = [];
  let saved = stored;
  let clock = 0;
  const slept: number[] = [];
  const deps = {
    route: async () => route,
    store,
    append: async (_cluster: string, records: OutgoingRecord[]) => {
      appended.push(...records);
    },
    checkpoints: {
      get: async () => saved,
      put: async (_table: string, checkpoint: Checkpoint) => {
        puts.push({ ...checkpoint });
        saved = { ...checkpoint, updatedAt: new Date(clock).toISOString() };
        return saved;
      },
    },
    progress: () => ({ update: () => undefined, stop: () => undefined }),
    now: () => clock,
    sleep: async (ms: number) => {
      slept.push(ms);
      clock += ms;
    },
    heartbeatMs: 60_000,
  };
  return { deps, appended, puts, slept, saved: () => saved };
}

const request = (overrides: Partial<BackfillRequest> = {}): BackfillRequest => ({
  table: 'orders',
  where: [],
  ratePerSecond: undefined,
  chunkSize: 40,
  resume: false,
  force: false,
  ...overrides,
});

describe('wail backfill', () => {
  it('appends one refresh intent per row at its version, keyed like the proxy, and checkpoints every chunk', async () => {
    const { store, scans } = table(100);
    const h = harness(store);
    const done = await backfill(request(), h.deps);
    expect(scans.map((scan) => scan.cursor)).toEqual([undefined, '40', '80']);
    expect(h.appended).toHaveLength(100);
    const first = h.appended[0]!;
    expect(first.topic).toBe('wail.intents');
    expect(first.key).toEqual(Buffer.from(canonicalKey('orders', [{ name: 'id', value: 1n }])));
    expect(first.headers).toEqual({ [ROUTE_REVISION_HEADER]: '7' });
    expect(decodeIntent(first.value!)).toMatchObject({
      op: 'refresh',
      table: 'orders',
      key: [{ name: 'id', value: 1n }],
      ts: 1001n,
    });
    // The start, then one per chunk once its intents were appended.
    expect(h.puts.map((p) => [p.status, p.cursor, p.rowsScanned, p.chunksDone])).toEqual([
      ['running', null, 0, 0],
      ['running', '40', 40, 1],
      ['running', '80', 80, 2],
      ['done', null, 100, 3],
    ]);
    expect(done).toMatchObject({ status: 'done', refreshesAppended: 100, estimatedRows: 100 });
  });

  it('resumes from the checkpoint without scanning a finished chunk again, under a new run id', async () => {
    const { store, scans } = table(100);
    const first = harness(store);
    first.deps.append = async (_cluster, records) => {
      if (first.appended.length >= 40) throw new WailError('BAD_REQUEST', 'stop here');
      first.appended.push(...records);
    };
    await expect(backfill(request(), first.deps)).rejects.toThrow('stop here');
    const killed = first.saved()!;
    expect(killed).toMatchObject({ status: 'failed', cursor: '40', rowsScanned: 40 });
    scans.length = 0;
    const again = harness(store, killed);
    const done = await backfill(request({ resume: true }), again.deps);
    expect(scans.map((scan) => scan.cursor)).toEqual(['40', '80']);
    expect(again.appended).toHaveLength(60);
    expect(done).toMatchObject({ status: 'done', rowsScanned: 100, refreshesAppended: 100 });
    expect(done.runId).not.toBe(killed.runId);
  });

  it('refuses to resume a finished run, or with other conditions', async () => {
    const { store } = table(10);
    const h = harness(store);
    const done = await backfill(request(), h.deps);
    await expect(backfill(request({ resume: true }), harness(store, done).deps)).rejects.toThrow(
      /finished/,
    );
    const failed = { ...done, status: 'failed' as const };
    await expect(
      backfill(
        request({ resume: true, where: [{ column: 'a', op: '=', value: 1 }] }),
        harness(store, failed).deps,
      ),
    ).rejects.toThrow(/conditions/);
    await expect(backfill(request({ resume: true }), harness(store).deps)).rejects.toThrow(
      /no backfill/,
    );
  });

  it('keeps to the rate: refresh intents never run ahead of it', async () => {
    const { store } = table(100);
    const h = harness(store);
    let clock = 0;
    const times: number[] = [];
    h.deps.now = () => clock;
    h.deps.sleep = async (ms) => {
      clock += ms;
    };
    h.deps.append = async (_cluster, records) => {
      times.push(clock);
      h.appended.push(...records);
    };
    await backfill(request({ ratePerSecond: 50 }), h.deps);
    // 5 per slice at 50/s: one slice every 100 ms, the last of 20 at 1.9 s.
    expect(times).toHaveLength(20);
    expect(times.at(-1)).toBe(1900);
  });

  it('retries a chunk the store could not serve, and fails at once on a refusal', async () => {
    let failures = 2;
    const flaky = table(10, () =>
      failures-- > 0 ? new WailError('DATABASE_UNAVAILABLE', 'down') : undefined,
    );
    const h = harness(flaky.store);
    await expect(backfill(request(), h.deps)).resolves.toMatchObject({ status: 'done' });
    expect(h.slept).toEqual([1000, 2000]);
    const refused = table(10, () => new WailError('BAD_REQUEST', 'no column "x"'));
    const r = harness(refused.store);
    await expect(backfill(request(), r.deps)).rejects.toThrow('no column');
    expect(r.saved()).toMatchObject({ status: 'failed', error: 'no column "x"' });
  });

  it('stops when interrupted and records it, so --resume can continue at once', async () => {
    const { store } = table(100);
    const h = harness(store);
    const controller = new AbortController();
    h.deps.append = async (_cluster, records) => {
      h.appended.push(...records);
      controller.abort();
    };
    await expect(backfill(request(), { ...h.deps, signal: controller.signal })).rejects.toThrow(
      Interrupted,
    );
    expect(h.saved()).toMatchObject({ status: 'failed', error: 'interrupted', cursor: '40' });
  });
});
