/**
 * A hybrid logical clock in microseconds. `now()` follows the wall clock but
 * never repeats or goes backwards: when the wall clock stands still or steps
 * back (NTP), it keeps counting up from the last value. Across proxies the
 * values are wall-clock based, as Cassandra's own last-writer-wins timestamps.
 */
export class HybridLogicalClock {
  private last = 0n;

  constructor(private readonly wallMicros: () => bigint = defaultWallMicros) {}

  now(): bigint {
    const wall = this.wallMicros();
    this.last = wall > this.last ? wall : this.last + 1n;
    return this.last;
  }

  /** Moves the clock past a timestamp seen elsewhere, so later `now()` values exceed it. */
  observe(ts: bigint): void {
    if (ts > this.last) this.last = ts;
  }
}

const originMicros = BigInt(Date.now()) * 1000n;
const originHr = process.hrtime.bigint();

/** Wall-clock microseconds with sub-millisecond resolution from the monotonic timer. */
function defaultWallMicros(): bigint {
  return originMicros + (process.hrtime.bigint() - originHr) / 1000n;
}
