import type { Intent } from '@wail/intent';
import type { IncomingRecord } from '@wail/kafka';

export interface PendingIntent {
  intent: Intent;
  record: IncomingRecord;
}

/** What owns a key's intents (its partition): once revoked, none of its keys runs again. */
export interface KeyOwner {
  readonly revoked: boolean;
}

/** How a round left its key: nothing more to do now, or retry the rest after a backoff. */
export type RoundEnd = 'settled' | 'retry';

export class ScheduledKey<O extends KeyOwner = KeyOwner> {
  readonly queue: PendingIntent[] = [];
  running = false;
  waiting = false;
  /** Held back (a moving table): not scheduled until released. */
  held = false;
  /** When it was last held. */
  heldSince = 0;
  /** Rounds that ended in a retry since the key last had nothing pending. */
  attempts = 0;
  /** When the first of those rounds started: the grace period counts from here. */
  firstAttemptAt = 0;
  /** Its first read has waited its delay already (see KeyScheduler): it does not wait again. */
  delayed = false;
  /** Its next round is the first read of an idle key: its outcome adapts the delay. */
  idleRead = false;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly owner: O,
  ) {}
}

export interface KeySchedulerOptions {
  /** Rounds running at once, over every partition. */
  concurrency: number;
  /**
   * A hot key (one whose last round started less than this long ago) waits
   * before its next round until its oldest pending intent is this old, so its
   * intents share one read; any other key is read at once.
   */
  coalesceMs: number;
  now: () => number;
  random?: () => number;
}

/** Keys whose last round started within `coalesceMs` that are remembered at most. */
export const RECENT_KEYS_LIMIT = 65_536;

/** The first-read delay never exceeds this (nor `coalesceMs`). */
export const FIRST_READ_DELAY_MAX_MS = 20;
/** Added to the first-read delay by a first read that came before the write. */
export const FIRST_READ_DELAY_STEP_UP_MS = 1;
/** Taken off it by one that found the write: it settles where about 1 first read in 11 is early. */
export const FIRST_READ_DELAY_STEP_DOWN_MS = 0.1;

/**
 * Runs rounds of keys: one round at a time per key (per-key order), at most
 * `concurrency` rounds at once, a key whose round asks for a retry waits a
 * jittered exponential backoff (10 ms doubling, at most 1 s) first.
 *
 * Adaptive coalescing: a key with no recent round is read at once (the idle
 * path costs no delay); a key read less than `coalesceMs` ago, so also one
 * that received intents while its round ran, waits until its oldest pending
 * intent is `coalesceMs` old, and everything that arrived meanwhile is
 * answered by one read.
 *
 * The first read of an idle key waits until its oldest intent is
 * `firstReadDelayMs` old: the proxy writes the row only after Kafka has the
 * intent, so a read at once often comes before the write and must be read
 * again. The delay adapts — up a step for each such first read that ended in a
 * retry (early, or the store failing), down a tenth of one for each that
 * settled, between 0 and
 * FIRST_READ_DELAY_MAX_MS (and `coalesceMs`; 0 turns it off) — so it follows
 * how long writes take to land: about nothing on an idle system, a few
 * milliseconds on a busy one. Intents older than that (a replay, a backlog)
 * are read at once.
 */
export class KeyScheduler<O extends KeyOwner> {
  private readonly ready: ScheduledKey<O>[] = [];
  private active = 0;
  private readonly random: () => number;
  /**
   * When each key's last round started, oldest first; a key object is
   * forgotten once idle, so its heat is kept here (entries older than
   * `coalesceMs` are pruned, at most RECENT_KEYS_LIMIT).
   */
  private readonly recent = new Map<string, number>();
  private firstReadDelay = 0;

  constructor(
    private readonly options: KeySchedulerOptions,
    private readonly round: (key: ScheduledKey<O>) => Promise<RoundEnd>,
    /** After each round, before the next starts: the key may be idle now (empty queue). */
    private readonly afterRound: (key: ScheduledKey<O>) => void,
    private readonly onRoundError: (error: unknown, key: ScheduledKey<O>) => void,
  ) {
    this.random = options.random ?? Math.random;
  }

  schedule(key: ScheduledKey<O>): void {
    if (key.held || key.running || key.waiting || key.timer || key.owner.revoked) return;
    if (key.attempts === 0 && key.queue.length > 0) {
      // A hot key: let more of its intents arrive before its next read. An
      // idle one: let its write land first (never longer than the delay, whatever the clocks say).
      const hot = this.isHot(key);
      key.idleRead = !hot;
      const after = hot ? this.options.coalesceMs : key.delayed ? 0 : this.firstReadDelay;
      if (after > 0) {
        const oldest = key.queue.reduce(
          (min, p) => (p.intent.ts < min ? p.intent.ts : min),
          key.queue[0]!.intent.ts,
        );
        const age = this.options.now() - Number(oldest / 1000n);
        const wait = hot ? after - age : Math.min(after, after - age);
        if (wait >= 1) {
          key.delayed = !hot;
          this.later(key, wait);
          return;
        }
      }
    }
    if (this.active >= this.options.concurrency) {
      key.waiting = true;
      this.ready.push(key);
      return;
    }
    this.run(key);
  }

  /** Takes intents off the key's queue; a key with none left starts its next intents afresh. */
  finish(key: ScheduledKey<O>, done: readonly PendingIntent[]): void {
    const finished = new Set(done);
    for (let i = key.queue.length - 1; i >= 0; i--)
      if (finished.has(key.queue[i]!)) key.queue.splice(i, 1);
    if (key.queue.length === 0) {
      key.attempts = 0;
      key.delayed = false;
    }
  }

  cancel(key: ScheduledKey<O>): void {
    clearTimeout(key.timer);
  }

  /** Milliseconds after its oldest intent that an idle key's first read waits now. */
  get firstReadDelayMs(): number {
    return this.firstReadDelay;
  }

  /** Keys remembered as recently read (for tests and bounds). */
  get recentKeys(): number {
    return this.recent.size;
  }

  private isHot(key: ScheduledKey<O>): boolean {
    if (this.options.coalesceMs <= 0) return false;
    const last = this.recent.get(key.id);
    return last !== undefined && this.options.now() - last < this.options.coalesceMs;
  }

  private remember(id: string, now: number): void {
    this.recent.delete(id);
    this.recent.set(id, now);
    for (const [oldest, at] of this.recent) {
      if (now - at < this.options.coalesceMs && this.recent.size <= RECENT_KEYS_LIMIT) break;
      this.recent.delete(oldest);
    }
  }

  private run(key: ScheduledKey<O>): void {
    key.running = true;
    this.active++;
    const now = this.options.now();
    if (this.options.coalesceMs > 0) this.remember(key.id, now);
    if (key.attempts === 0) key.firstAttemptAt = now;
    // Only an idle key's first read tells whether reads come before writes
    // (a hot key's waited its coalescing time anyway).
    const idleRead = key.attempts === 0 && key.idleRead;
    key.idleRead = false;
    this.round(key)
      .then((end) => {
        if (idleRead) this.adaptFirstReadDelay(end === 'retry');
        if (end === 'retry') this.retryLater(key);
      })
      .catch((error: unknown) => this.onRoundError(error, key))
      .finally(() => {
        key.running = false;
        this.active--;
        if (key.queue.length > 0 && !key.timer) this.schedule(key);
        this.afterRound(key);
        while (this.active < this.options.concurrency && this.ready.length > 0) {
          const next = this.ready.shift()!;
          next.waiting = false;
          if (!next.owner.revoked && !next.running && !next.timer && !next.held) this.run(next);
        }
      });
  }

  private adaptFirstReadDelay(early: boolean): void {
    const max = Math.min(FIRST_READ_DELAY_MAX_MS, this.options.coalesceMs);
    this.firstReadDelay = early
      ? Math.min(max, this.firstReadDelay + FIRST_READ_DELAY_STEP_UP_MS)
      : Math.max(0, this.firstReadDelay - FIRST_READ_DELAY_STEP_DOWN_MS);
  }

  private retryLater(key: ScheduledKey<O>): void {
    key.attempts++;
    const delay =
      Math.min(1000, 10 * 2 ** Math.min(key.attempts, 7)) * (0.75 + this.random() * 0.5);
    this.later(key, delay);
  }

  private later(key: ScheduledKey<O>, delay: number): void {
    key.timer = setTimeout(() => {
      key.timer = undefined;
      this.schedule(key);
    }, delay);
  }
}
