import { randomUUID } from 'node:crypto';
import { ROUTE_REVISION_HEADER, routeTarget, type TableRoute } from '@wail/contracts';
import { isWailError } from '@wail/errors';
import { canonicalKey, encodeIntent, newIntentId } from '@wail/intent';
import type { OutgoingRecord } from '@wail/kafka';
import type { RowStore, ScanCondition, ScannedRow, TableRef } from '@wail/store';
import type { Checkpoint, CheckpointClient, StoredCheckpoint } from './checkpoints';
import type { Progress, ProgressState } from './progress';

export interface BackfillRequest {
  table: string;
  where: ScanCondition[];
  /** Refresh intents per second at most; undefined: as fast as the store and Kafka go. */
  ratePerSecond: number | undefined;
  /** Rows per scan page (and per checkpoint). */
  chunkSize: number;
  /** Continue the table's last run from its checkpoint (its conditions and rate unless given). */
  resume: boolean;
  /** Take over a run that may still be running. */
  force: boolean;
}

export interface BackfillDeps {
  /** The table's route, read again before every chunk (a move changes where intents go). */
  route(): Promise<TableRoute>;
  store: RowStore;
  /** Appends records to the intent log of a Kafka cluster; resolves once Kafka acknowledged all. */
  append(cluster: string, records: OutgoingRecord[]): Promise<void>;
  checkpoints: Pick<CheckpointClient, 'get' | 'put'>;
  progress(checkpoint: Checkpoint): Progress;
  /** Aborted: the run stops after the slice it is appending and records itself interrupted. */
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How often the checkpoint is written while a chunk runs (default 5 s; a run silent for 30 s is stale). */
  heartbeatMs?: number;
}

/** Attempts of one chunk on a retriable failure (store or Kafka unavailable), backoff 1 s doubling. */
const ATTEMPTS = 6;

/**
 * `wail backfill <table>`: re-publishes the current state of the table's
 * existing rows. Scans the store in chunks (its primary-key order where it has
 * one) and appends, for every row, a *refresh* intent at the row's version
 * to the table's intent topic, keyed and partitioned like the proxy's
 * intents, so a refresh and the key's live writes share one partition and one
 * order; the consumer publishes a refresh only when no event at that version
 * or later was published. After each chunk is acknowledged by Kafka the
 * checkpoint (the store's cursor and the counts) goes to the repository, so a
 * killed run resumed with `--resume` scans no finished chunk again (the one in
 * flight may be appended twice; the consumer publishes a version once).
 */
export async function backfill(
  request: BackfillRequest,
  deps: BackfillDeps,
): Promise<StoredCheckpoint> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const { checkpoint, target } = await start(request, deps);
  const progress = deps.progress(checkpoint);
  const state = (): ProgressState => ({
    rowsScanned: checkpoint.rowsScanned,
    refreshesAppended: checkpoint.refreshesAppended,
    estimatedRows: checkpoint.estimatedRows,
  });

  // One write at a time, in order: the heartbeat and the chunks share it.
  let saving: Promise<unknown> = Promise.resolve();
  let saveError: unknown;
  const save = (): Promise<unknown> => {
    const snapshot = { ...checkpoint };
    saving = saving
      .then(() => deps.checkpoints.put(request.table, snapshot))
      .catch((error: unknown) => {
        saveError = error;
      });
    return saving;
  };
  const heartbeat = setInterval(() => void save(), deps.heartbeatMs ?? 5000);
  heartbeat.unref();

  // Throttle: the refreshes appended by this process never run ahead of the rate.
  const startedAt = now();
  let appendedHere = 0;
  const rate = checkpoint.ratePerSecond;
  const sliceSize = rate === null ? Infinity : Math.max(1, Math.ceil(rate / 10));

  try {
    for (;;) {
      if (deps.signal?.aborted) throw new Interrupted();
      const { rows, cursor } = await retried(
        () =>
          deps.store.scan({
            target,
            ...(checkpoint.cursor === null ? {} : { cursor: checkpoint.cursor }),
            limit: checkpoint.chunkSize,
            where: checkpoint.where,
          }),
        sleep,
        deps.signal,
        request.table,
      );
      for (let i = 0; i < rows.length; i += sliceSize === Infinity ? rows.length : sliceSize) {
        const slice = rows.slice(i, sliceSize === Infinity ? undefined : i + sliceSize);
        if (rate !== null) {
          const due = startedAt + (appendedHere / rate) * 1000;
          if (due > now()) await sleep(due - now());
        }
        const route = await deps.route();
        await retried(
          () =>
            deps.append(
              route.intentCluster,
              slice.map((row) => refreshRecord(route, row, checkpoint)),
            ),
          sleep,
          deps.signal,
          request.table,
        );
        appendedHere += slice.length;
        checkpoint.refreshesAppended += slice.length;
        progress.update(state());
      }
      checkpoint.rowsScanned += rows.length;
      checkpoint.chunksDone += 1;
      checkpoint.cursor = cursor ?? null;
      if (cursor === undefined) {
        checkpoint.status = 'done';
        checkpoint.finishedAt = new Date(now()).toISOString();
      }
      await save();
      if (saveError) throw saveError;
      progress.update(state());
      if (cursor === undefined) break;
    }
  } catch (error) {
    checkpoint.status = 'failed';
    checkpoint.error =
      error instanceof Interrupted
        ? 'interrupted'
        : String((error as Error).message).slice(0, 2000);
    await save();
    throw error;
  } finally {
    clearInterval(heartbeat);
    progress.stop(state());
  }
  await saving;
  const stored = await deps.checkpoints.get(request.table);
  return stored!;
}

/** Thrown when the run's signal aborts it. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor() {
    super('backfill interrupted; continue it with --resume');
  }
}

/** A new run's checkpoint, or the table's last one to continue (`--resume`), written once. */
async function start(
  request: BackfillRequest,
  deps: BackfillDeps,
): Promise<{ checkpoint: Checkpoint; target: TableRef }> {
  const runId = randomUUID();
  let checkpoint: Checkpoint;
  if (request.resume) {
    const last = await deps.checkpoints.get(request.table);
    if (!last)
      throw new Error(`no backfill of ${request.table} to resume: start one without --resume`);
    if (last.status === 'done')
      throw new Error(
        `the last backfill of ${request.table} finished at ${last.finishedAt}: start a new one without --resume`,
      );
    const { updatedAt: _updatedAt, ...kept } = last;
    checkpoint = {
      ...kept,
      runId,
      status: 'running',
      error: null,
      ...(request.ratePerSecond === undefined ? {} : { ratePerSecond: request.ratePerSecond }),
    };
    if (request.where.length > 0 && JSON.stringify(request.where) !== JSON.stringify(last.where))
      throw new Error(
        `--resume continues with the conditions of the run it resumes (${JSON.stringify(last.where)}); leave --where out`,
      );
  } else {
    const route = await deps.route();
    const estimatedRows = (await deps.store.estimateRows?.(routeTarget(route))) ?? null;
    checkpoint = {
      runId,
      status: 'running',
      cursor: null,
      where: request.where,
      ratePerSecond: request.ratePerSecond ?? null,
      chunkSize: request.chunkSize,
      rowsScanned: 0,
      refreshesAppended: 0,
      chunksDone: 0,
      estimatedRows,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
  }
  await deps.checkpoints.put(request.table, checkpoint, request.force);
  // The table the run scans: its route's when the run starts (a move changes
  // where intents go, read again per chunk, not the table).
  return { checkpoint, target: routeTarget(await deps.route()) };
}

function refreshRecord(route: TableRoute, row: ScannedRow, checkpoint: Checkpoint): OutgoingRecord {
  return {
    topic: route.intentTopic,
    key: Buffer.from(canonicalKey(route.table, row.key)),
    value: Buffer.from(
      encodeIntent({
        intentId: newIntentId(),
        table: route.table,
        op: 'refresh',
        key: row.key,
        ts: row.version,
        proxyId: `backfill:${checkpoint.runId.slice(0, 8)}`,
      }),
    ),
    headers: { [ROUTE_REVISION_HEADER]: String(route.revision) },
  };
}

/** Runs `work`, again after a backoff while it fails retriably (a store or Kafka unavailable). */
async function retried<T>(
  work: () => Promise<T>,
  sleep: (ms: number) => Promise<void>,
  signal: AbortSignal | undefined,
  table: string,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retriable = isWailError(error) ? error.retriable : !isRefusal(error);
      if (!retriable || attempt >= ATTEMPTS || signal?.aborted) throw error;
      process.stderr.write(
        `backfill ${table}: ${(error as Error).message}; retrying in ${2 ** (attempt - 1)} s\n`,
      );
      await sleep(1000 * 2 ** (attempt - 1));
    }
  }
}

/** A client error no retry can fix (a bad condition or cursor is a WailError; these are its cousins). */
function isRefusal(error: unknown): boolean {
  return error instanceof RangeError || error instanceof TypeError;
}
