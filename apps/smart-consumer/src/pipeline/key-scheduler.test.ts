import { newIntentId } from '@wail/intent';
import {
  FIRST_READ_DELAY_MAX_MS,
  FIRST_READ_DELAY_STEP_DOWN_MS,
  FIRST_READ_DELAY_STEP_UP_MS,
  KeyScheduler,
  RECENT_KEYS_LIMIT,
  ScheduledKey,
  type PendingIntent,
  type RoundEnd,
} from './key-scheduler';

const owner = { revoked: false };

function pending(tsMs: number): PendingIntent {
  return {
    intent: {
      intentId: newIntentId(),
      table: 't',
      op: 'upsert',
      key: [{ name: 'id', value: 1n }],
      ts: BigInt(tsMs) * 1000n,
      proxyId: 'p',
    },
    record: {
      topic: 'i',
      partition: 0,
      offset: 0n,
      key: null,
      value: null,
      headers: {},
      timestamp: 0,
    },
  };
}

/** Rounds that stay open until the test ends them. */
function harness(options: { concurrency?: number; coalesceMs?: number } = {}) {
  const started: string[] = [];
  const open = new Map<string, (end: RoundEnd) => void>();
  const idle: string[] = [];
  const scheduler = new KeyScheduler<typeof owner>(
    {
      concurrency: options.concurrency ?? 4,
      coalesceMs: options.coalesceMs ?? 0,
      now: () => Date.now(),
      random: () => 0.5,
    },
    (key) => {
      started.push(key.id);
      return new Promise<RoundEnd>((resolve) => open.set(key.id, resolve));
    },
    (key) => {
      if (key.queue.length === 0) idle.push(key.id);
    },
    () => undefined,
  );
  const key = (id: string, ...intents: PendingIntent[]) => {
    const k = new ScheduledKey(id, owner);
    k.queue.push(...intents);
    return k;
  };
  /** Ends the key's open round, optionally taking its intents off the queue first. */
  const end = async (k: ScheduledKey<typeof owner>, result: RoundEnd, finish = true) => {
    if (finish) scheduler.finish(k, [...k.queue]);
    open.get(k.id)!(result);
    open.delete(k.id);
    await jest.advanceTimersByTimeAsync(0);
  };
  return { scheduler, started, idle, key, end };
}

describe('the key scheduler', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs one round at a time per key, and the next for intents that arrived meanwhile', async () => {
    const h = harness();
    const k = h.key('a', pending(0));
    h.scheduler.schedule(k);
    k.queue.push(pending(0));
    h.scheduler.schedule(k);
    expect(h.started).toEqual(['a']);
    await h.end(k, 'settled', false);
    expect(h.started).toEqual(['a', 'a']);
    await h.end(k, 'settled');
    expect(h.idle).toEqual(['a']);
  });

  it('runs at most `concurrency` rounds at once; a waiting key starts when one ends', async () => {
    const h = harness({ concurrency: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => h.key(id, pending(0)));
    for (const k of [a!, b!, c!]) h.scheduler.schedule(k);
    expect(h.started).toEqual(['a', 'b']);
    await h.end(a!, 'settled');
    expect(h.started).toEqual(['a', 'b', 'c']);
  });

  it('reads a key with no recent round at once, whatever `coalesceMs` is', () => {
    const h = harness({ coalesceMs: 50 });
    h.scheduler.schedule(h.key('a', pending(Date.now())));
    expect(h.started).toEqual(['a']);
  });

  it('makes a key read less than `coalesceMs` ago wait until its oldest intent is that old; what arrives meanwhile shares the read', async () => {
    const h = harness({ coalesceMs: 50 });
    const first = h.key('a', pending(Date.now()));
    h.scheduler.schedule(first);
    await jest.advanceTimersByTimeAsync(5);
    await h.end(first, 'settled');
    // The key object is gone once idle; its heat is not.
    const again = h.key('a', pending(Date.now() - 20));
    h.scheduler.schedule(again);
    expect(h.started).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(10);
    again.queue.push(pending(Date.now()));
    h.scheduler.schedule(again);
    await jest.advanceTimersByTimeAsync(19);
    expect(h.started).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.started).toEqual(['a', 'a']);
    expect(again.queue).toHaveLength(2);
  });

  it('makes intents that arrive while a round runs wait for one next read', async () => {
    const h = harness({ coalesceMs: 50 });
    const k = h.key('a', pending(Date.now()));
    h.scheduler.schedule(k);
    await jest.advanceTimersByTimeAsync(10);
    const [done] = k.queue;
    k.queue.push(pending(Date.now()));
    h.scheduler.schedule(k);
    h.scheduler.finish(k, [done!]);
    await h.end(k, 'settled', false);
    expect(h.started).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(50);
    expect(h.started).toEqual(['a', 'a']);
  });

  it('reads a key at once again once its last round is `coalesceMs` old', async () => {
    const h = harness({ coalesceMs: 50 });
    const k = h.key('a', pending(Date.now()));
    h.scheduler.schedule(k);
    await h.end(k, 'settled');
    await jest.advanceTimersByTimeAsync(50);
    h.scheduler.schedule(h.key('a', pending(Date.now())));
    expect(h.started).toEqual(['a', 'a']);
  });

  it('remembers only keys read within `coalesceMs`, and at most RECENT_KEYS_LIMIT of them', async () => {
    const h = harness({ coalesceMs: 50, concurrency: 2 * RECENT_KEYS_LIMIT });
    for (let i = 0; i < 100; i++) h.scheduler.schedule(h.key(`old${i}`, pending(Date.now())));
    expect(h.scheduler.recentKeys).toBe(100);
    await jest.advanceTimersByTimeAsync(50);
    h.scheduler.schedule(h.key('new', pending(Date.now())));
    expect(h.scheduler.recentKeys).toBe(1);
    for (let i = 0; i < RECENT_KEYS_LIMIT + 5; i++)
      h.scheduler.schedule(h.key(`k${i}`, pending(Date.now())));
    expect(h.scheduler.recentKeys).toBe(RECENT_KEYS_LIMIT);
  });

  it('never waits with `coalesceMs` 0', async () => {
    const h = harness({ coalesceMs: 0 });
    const k = h.key('a', pending(Date.now()));
    h.scheduler.schedule(k);
    await h.end(k, 'settled');
    h.scheduler.schedule(h.key('a', pending(Date.now())));
    expect(h.started).toEqual(['a', 'a']);
    expect(h.scheduler.recentKeys).toBe(0);
  });

  it('delays an idle key’s first read by a delay that grows with early first reads and shrinks with timely ones', async () => {
    const h = harness({ coalesceMs: 100 });
    expect(h.scheduler.firstReadDelayMs).toBe(0);
    // Five first reads that came before their write: 5 ms.
    for (let i = 0; i < 5; i++) {
      const k = h.key(`early${i}`, pending(Date.now()));
      h.scheduler.schedule(k);
      await jest.advanceTimersByTimeAsync(FIRST_READ_DELAY_MAX_MS);
      expect(h.started).toContain(`early${i}`);
      h.scheduler.cancel(k);
      await h.end(k, 'retry', false);
      h.scheduler.cancel(k);
    }
    expect(h.scheduler.firstReadDelayMs).toBeCloseTo(5 * FIRST_READ_DELAY_STEP_UP_MS);
    // A fresh intent of an idle key waits until it is 5 ms old.
    const fresh = h.key('fresh', pending(Date.now()));
    h.scheduler.schedule(fresh);
    await jest.advanceTimersByTimeAsync(4);
    expect(h.started).not.toContain('fresh');
    await jest.advanceTimersByTimeAsync(1);
    expect(h.started).toContain('fresh');
    await h.end(fresh, 'settled');
    expect(h.scheduler.firstReadDelayMs).toBeCloseTo(
      5 * FIRST_READ_DELAY_STEP_UP_MS - FIRST_READ_DELAY_STEP_DOWN_MS,
    );
    // An intent already older than the delay (a replay, a backlog) is read at once.
    const old = h.key('old', pending(Date.now() - 1000));
    h.scheduler.schedule(old);
    expect(h.started).toContain('old');
    await h.end(old, 'settled');
    // A clock ahead of ours never makes it wait longer than the delay.
    const ahead = h.key('ahead', pending(Date.now() + 60_000));
    h.scheduler.schedule(ahead);
    await jest.advanceTimersByTimeAsync(5);
    expect(h.started).toContain('ahead');
    await h.end(ahead, 'settled');
  });

  it('keeps the first-read delay within FIRST_READ_DELAY_MAX_MS and `coalesceMs`, and off at `coalesceMs` 0', async () => {
    for (const [coalesceMs, max] of [
      [100, FIRST_READ_DELAY_MAX_MS],
      [3, 3],
      [0, 0],
    ] as const) {
      const h = harness({ coalesceMs });
      for (let i = 0; i < FIRST_READ_DELAY_MAX_MS * 3; i++) {
        const k = h.key(`k${i}`, pending(Date.now() - 1000));
        h.scheduler.schedule(k);
        await h.end(k, 'retry', false);
        h.scheduler.cancel(k);
      }
      expect(h.scheduler.firstReadDelayMs).toBe(max);
      for (let i = 0; i < 1000; i++) {
        const k = h.key(`s${i}`, pending(Date.now() - 1000));
        h.scheduler.schedule(k);
        await h.end(k, 'settled');
      }
      expect(h.scheduler.firstReadDelayMs).toBe(0);
    }
  });

  it('backs off exponentially, up to a second, between retries, and counts the attempts', async () => {
    const h = harness();
    const k = h.key('a', pending(0));
    h.scheduler.schedule(k);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      await h.end(k, 'retry', false);
      expect(k.attempts).toBe(attempt);
      let waited = 0;
      while (h.started.length === attempt) {
        await jest.advanceTimersByTimeAsync(1);
        waited++;
      }
      delays.push(waited);
    }
    // 10 ms · 2^attempts (at most 1 s), jitter 0.75–1.25 at its middle here.
    expect(delays).toEqual([20, 40, 80, 160, 320, 640, 1000, 1000]);
  });

  it('starts the grace clock at the first attempt and a key anew once its queue empties', async () => {
    const h = harness();
    const k = h.key('a', pending(0));
    h.scheduler.schedule(k);
    const first = k.firstAttemptAt;
    await h.end(k, 'retry', false);
    await jest.advanceTimersByTimeAsync(100);
    expect(k.firstAttemptAt).toBe(first);
    await h.end(k, 'settled');
    expect(k.attempts).toBe(0);
  });

  it('runs nothing for a revoked owner, and cancel stops a pending retry', async () => {
    const h = harness();
    const revoked = new ScheduledKey('r', { revoked: true });
    revoked.queue.push(pending(0));
    h.scheduler.schedule(revoked);
    expect(h.started).toEqual([]);
    const k = h.key('a', pending(0));
    h.scheduler.schedule(k);
    await h.end(k, 'retry', false);
    h.scheduler.cancel(k);
    await jest.advanceTimersByTimeAsync(5000);
    expect(h.started).toEqual(['a']);
  });
});
