/**
 * The unfinished offsets of one partition. Offsets are tracked in the order
 * they arrive (increasing); they may finish in any order. The offset that is
 * safe to commit is the lowest unfinished one — or one past the highest seen
 * when everything is finished — so a crash replays unfinished intents and
 * never skips one (DESIGN promise 6).
 */
export class PartitionTracker {
  private offsets: bigint[] = [];
  private head = 0;
  private readonly finished = new Set<bigint>();
  private nextOffset: bigint | undefined;

  track(offset: bigint): void {
    if (this.nextOffset !== undefined && offset < this.nextOffset) return;
    this.offsets.push(offset);
    this.nextOffset = offset + 1n;
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
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
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
