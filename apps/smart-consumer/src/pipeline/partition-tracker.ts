/**
 * The unfinished offsets of one partition. Offsets are tracked in the order
 * they arrive (increasing); they may finish in any order. The offset that is
 * safe to commit is the lowest unfinished one — or one past the highest seen
 * when everything is finished — so a crash replays unfinished intents and
 * never skips one (DESIGN promise 6).
 */
export class PartitionTracker {
  private offsets: bigint[] = [];
  /** The Kafka timestamp (ms) of each offset, for the lag in seconds. */
  private timestamps: number[] = [];
  private head = 0;
  private readonly finished = new Set<bigint>();
  private nextOffset: bigint | undefined;

  track(offset: bigint, timestamp = 0): void {
    if (this.nextOffset !== undefined && offset < this.nextOffset) return;
    this.offsets.push(offset);
    this.timestamps.push(timestamp);
    this.nextOffset = offset + 1n;
  }

  /**
   * The Kafka timestamp (ms) of the oldest unfinished offset; when all are
   * finished, that of the last one seen (what is not fetched yet is newer);
   * undefined before anything was seen.
   */
  oldestTimestamp(): number | undefined {
    if (this.head < this.offsets.length) return this.timestamps[this.head];
    return this.timestamps.at(-1);
  }

  finish(offset: bigint): void {
    const lowest = this.offsets[this.head];
    if (lowest === undefined || offset < lowest || this.finished.has(offset)) return;
    this.finished.add(offset);
    while (this.head < this.offsets.length && this.finished.has(this.offsets[this.head]!)) {
      this.finished.delete(this.offsets[this.head]!);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      // The last timestamp stays: it answers oldestTimestamp once all are finished.
      const keep = Math.min(this.head, this.offsets.length - 1);
      this.offsets = this.offsets.slice(keep);
      this.timestamps = this.timestamps.slice(keep);
      this.head -= keep;
    }
  }

  /** Intents seen and not yet finished. */
  get inFlight(): number {
    return this.offsets.length - this.head - this.finished.size;
  }

  /** The next offset to read after a restart, or undefined before anything was seen. */
  safeOffset(): bigint | undefined {
    if (this.head < this.offsets.length) return this.offsets[this.head];
    return this.nextOffset;
  }
}
