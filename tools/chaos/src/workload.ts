import { randomUUID } from 'node:crypto';
import type { ServiceProcess } from '@wail/testing';
import type { ChaosTable } from './cluster';
import type { ItemValues, SentWrite, WriteOp } from './verify';

export interface WorkloadOptions {
  writers: number;
  hotKeys: number;
  coldKeys: number;
  /** Chance that a write goes to a hot key. */
  hotShare: number;
  random: () => number;
  proxies: () => ServiceProcess[];
  requestTimeoutMs: number;
  /** Mutations per request: 1 uses the single-mutation endpoint, more the batch endpoint. */
  batch: number;
  /**
   * Writers that send batches of this many mutations of hot keys only (0: none):
   * the hot-key contention of concurrent batches folded into one statement.
   */
  contentionWriters: number;
  contentionBatch: number;
  /** Whether no fault has been injected yet: a 5xx or a timeout then is a finding. */
  calm: () => boolean;
}

export interface WorkloadStats {
  sent: number;
  acked: number;
  /** Answers by HTTP status (or `timeout` / `refused`) for writes that were not acknowledged. */
  failed: Map<string, number>;
  /** Writes answered 5xx or timed out while no fault was injected. */
  calm5xx: string[];
}

const TABLES: ChaosTable[] = ['m_items', 'c_items', 'p_items', 'r_items'];
/** Keys from here on are only ever deleted: deletes of keys that never had a row. */
const ABSENT_KEYS = 10_000_000;

/**
 * Writers that loop until stopped: upserts, partial updates and deletes on
 * hot and cold keys of both tables, each through a random running proxy.
 * Every write carries its own id in the `req` column, so an event's state can
 * be traced back to the request that produced it. Partial updates go to the
 * MySQL table only: Cassandra resolves last-writer-wins per column, so a late
 * partial write there changes a row without changing its version (a limit
 * docs/failure-model.md states), which the final-state check would report.
 */
export class Workload {
  readonly writes: SentWrite[] = [];
  readonly stats: WorkloadStats = { sent: 0, acked: 0, failed: new Map(), calm5xx: [] };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  start(): void {
    this.running = true;
    this.loops = [
      ...Array.from({ length: this.options.writers }, () => this.loop(this.options.batch, false)),
      ...Array.from({ length: this.options.contentionWriters }, () =>
        this.loop(this.options.contentionBatch, true),
      ),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.options.random() * list.length)]!;
  }

  /**
   * One mutation. Integer keys (MySQL, PostgreSQL, Redis) come in any of their forms (7, "7", "007": one
   * row); a few deletes go to keys that never had a row.
   */
  private next(hotOnly: boolean): { write: SentWrite; body: Record<string, unknown> } {
    const random = this.options.random;
    const table = this.pick(TABLES);
    const hot = hotOnly || random() < this.options.hotShare;
    const roll = random();
    const absent = roll < 0.03;
    const n = absent
      ? ABSENT_KEYS + Math.floor(random() * 1_000_000)
      : hot
        ? 1 + Math.floor(random() * this.options.hotKeys)
        : 1 + this.options.hotKeys + Math.floor(random() * this.options.coldKeys);
    // Every table but c_items has an integer key, sent in any of its forms.
    const integerKey = table !== 'c_items';
    const key = integerKey ? String(n) : `k${n}`;
    const op: WriteOp =
      absent || roll < 0.2 ? 'delete' : roll < 0.4 && integerKey ? 'partial' : 'upsert';
    const id = randomUUID();
    const values: ItemValues =
      op === 'partial'
        ? { a: Math.floor(random() * 1_000_000), req: id }
        : {
            a: random() < 0.1 ? null : Math.floor(random() * 1_000_000),
            b: random() < 0.1 ? null : `b-${Math.floor(random() * 1e9).toString(36)}-ü`,
            req: id,
          };
    const keyValue = integerKey ? this.pick([n, String(n), `00${n}`]) : key;
    const body =
      op === 'delete'
        ? { op: 'delete', key: { id: keyValue } }
        : { op: 'upsert', key: { id: keyValue }, values };
    return { write: { id, table, key, op, values }, body };
  }

  private async loop(batch: number, hotOnly: boolean): Promise<void> {
    while (this.running) {
      const proxies = this.options.proxies();
      if (proxies.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const proxy = this.pick(proxies);
      const items = Array.from({ length: batch }, () => this.next(hotOnly));
      const calm = this.options.calm();
      for (const { write } of items) this.writes.push(write);
      this.stats.sent += items.length;
      const single = items.length === 1;
      const url = single
        ? `${proxy.url}/v1/tables/${items[0]!.write.table}/mutations`
        : `${proxy.url}/v1/mutations`;
      const body = single
        ? items[0]!.body
        : { mutations: items.map(({ write, body }) => ({ table: write.table, ...body })) };
      let outcomes: string[];
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        const text = await response.text();
        type Answer = {
          status?: number;
          ts?: number;
          intentLogged?: boolean;
          error?: { code?: string; message?: string };
        };
        const answers: Answer[] = !response.ok
          ? items.map(() => ({ status: response.status, ...errorBody(text) }))
          : single
            ? [{ status: response.status, ...(JSON.parse(text) as Answer) }]
            : (JSON.parse(text) as { results: Answer[] }).results;
        outcomes = items.map(({ write }, i) => {
          const answer = answers[i]!;
          if (answer.status === 200 && answer.intentLogged && answer.ts !== undefined) {
            write.ackedTs = BigInt(answer.ts);
            return 'acked';
          }
          if (answer.status === 200) return 'unlogged';
          const outcome = `${answer.status} ${answer.error?.code ?? ''}`.trim();
          // 503s are expected under faults; anything else is worth its message.
          return answer.status === 503 || !answer.error?.message
            ? outcome
            : `${outcome} (${answer.error.message.slice(0, 80)})`;
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        const outcome =
          (error as Error).name === 'TimeoutError' ? 'timeout' : (cause?.code ?? 'network');
        outcomes = items.map(() => outcome);
        // A proxy going away: do not spin while it restarts.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const stillCalm = calm && this.options.calm();
      for (const outcome of outcomes) {
        if (outcome === 'acked') this.stats.acked++;
        else this.stats.failed.set(outcome, (this.stats.failed.get(outcome) ?? 0) + 1);
        if (stillCalm && (outcome.startsWith('5') || outcome === 'timeout'))
          this.stats.calm5xx.push(`well-formed write answered ${outcome}`);
      }
    }
  }
}

function errorBody(text: string): { error?: { code?: string; message?: string } } {
  try {
    return JSON.parse(text) as { error?: { code?: string; message?: string } };
  } catch {
    return {};
  }
}

/** A small seeded PRNG (mulberry32), so a run's choices can be replayed with `--seed`. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
