import fc from 'fast-check';
import { PartitionTracker } from './partition-tracker';

describe('PartitionTracker', () => {
  it('commits up to the lowest unfinished offset', () => {
    const tracker = new PartitionTracker();
    expect(tracker.safeOffset()).toBeUndefined();
    for (const offset of [10n, 11n, 12n, 13n]) tracker.track(offset);
    tracker.finish(11n);
    tracker.finish(13n);
    expect(tracker.safeOffset()).toBe(10n);
    tracker.finish(10n);
    expect(tracker.safeOffset()).toBe(12n);
    tracker.finish(12n);
    expect(tracker.safeOffset()).toBe(14n);
    expect(tracker.inFlight).toBe(0);
  });

  it('ignores a replayed offset it has already seen', () => {
    const tracker = new PartitionTracker();
    tracker.track(5n);
    tracker.finish(5n);
    tracker.track(5n);
    expect(tracker.safeOffset()).toBe(6n);
  });

  it('never passes an unfinished offset, whatever the finishing order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (finishes, seed) => {
          const tracker = new PartitionTracker();
          const offsets = finishes.map((_, i) => BigInt(seed + i));
          offsets.forEach((offset) => tracker.track(offset));
          const finished = new Set<bigint>();
          offsets.forEach((offset, i) => {
            if (finishes[i]) {
              tracker.finish(offset);
              finished.add(offset);
            }
          });
          const safe = tracker.safeOffset()!;
          const firstUnfinished = offsets.find((offset) => !finished.has(offset));
          expect(safe).toBe(firstUnfinished ?? offsets.at(-1)! + 1n);
          expect(tracker.inFlight).toBe(offsets.length - finished.size);
        },
      ),
    );
  });

  it('knows the Kafka timestamp of the oldest unfinished offset, and of the last one seen once all are finished', () => {
    const tracker = new PartitionTracker();
    expect(tracker.oldestTimestamp()).toBeUndefined();
    tracker.track(0n, 1000);
    tracker.track(1n, 2000);
    expect(tracker.oldestTimestamp()).toBe(1000);
    tracker.finish(1n);
    expect(tracker.oldestTimestamp()).toBe(1000);
    tracker.finish(0n);
    expect(tracker.oldestTimestamp()).toBe(2000);
    // Compaction keeps the answer.
    for (let i = 2; i < 3000; i++) tracker.track(BigInt(i), i * 10);
    for (let i = 2; i < 3000; i++) tracker.finish(BigInt(i));
    expect(tracker.oldestTimestamp()).toBe(29_990);
    expect(tracker.inFlight).toBe(0);
    expect(tracker.safeOffset()).toBe(3000n);
    tracker.track(3000n, 40_000);
    expect(tracker.oldestTimestamp()).toBe(40_000);
  });
});
