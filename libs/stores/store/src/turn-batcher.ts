/**
 * Folds the calls of one turn of the event loop into one call per group: the
 * consumer reads many keys at once (a round per key of a fetched batch) and a
 * multi-key statement answers them in one round trip instead of one each; the
 * proxy's single writes whose intents one Kafka response acknowledged go to
 * the store together (`executeMany`). Nothing waits for company: the group
 * goes out on the next `setImmediate`, whatever its size, and a group of one
 * is a call of one.
 */
export class TurnBatcher<I, R> {
  private groups = new Map<string, Group<I, R>>();
  private scheduled = false;

  /** `maxBatch`: items per call; a larger group goes out in several. */
  constructor(private readonly maxBatch: number) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be ≥ 1');
  }

  /**
   * Queues `item` in `group`. `run` answers a chunk of the group's items, one
   * result per item in order (the group's first caller's `run` is used); a
   * rejection fails every item of the chunk.
   */
  add(group: string, item: I, run: (items: readonly I[]) => Promise<readonly R[]>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let pending = this.groups.get(group);
      if (!pending) this.groups.set(group, (pending = { run, items: [], waiters: [] }));
      pending.items.push(item);
      pending.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const groups = this.groups;
    this.groups = new Map();
    for (const { run, items, waiters } of groups.values())
      for (let start = 0; start < items.length; start += this.maxBatch) {
        const chunk = items.slice(start, start + this.maxBatch);
        const owed = waiters.slice(start, start + this.maxBatch);
        let answered: Promise<readonly R[]>;
        try {
          answered = run(chunk);
        } catch (error) {
          answered = Promise.reject(error as Error);
        }
        answered.then(
          (results) => {
            if (results.length !== chunk.length) {
              const error = new Error(
                `a batched call answered ${results.length} of ${chunk.length} items`,
              );
              for (const waiter of owed) waiter.reject(error);
              return;
            }
            owed.forEach((waiter, i) => waiter.resolve(results[i]!));
          },
          (error: unknown) => {
            for (const waiter of owed) waiter.reject(error);
          },
        );
      }
  }
}

interface Group<I, R> {
  run: (items: readonly I[]) => Promise<readonly R[]>;
  items: I[];
  waiters: { resolve: (result: R) => void; reject: (error: unknown) => void }[];
}
