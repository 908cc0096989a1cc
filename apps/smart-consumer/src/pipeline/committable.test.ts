import fc from 'fast-check';
import { committable } from './exactly-once';

const entry = (minOffset: number, maxOffset = minOffset) => ({
  minOffset: BigInt(minOffset),
  maxOffset: BigInt(maxOffset),
});

describe('committable (exactly-once outbox)', () => {
  it('commits everything below the lowest unfinished intent', () => {
    expect(committable([entry(0), entry(1), entry(2)], 5n)).toEqual({ count: 3, offset: 5n });
  });

  it('keeps outputs whose intents reach the lowest unfinished one', () => {
    expect(committable([entry(0), entry(3, 7), entry(4)], 5n)).toEqual({ count: 1, offset: 3n });
  });

  it('stops before an output that straddles a later one, even when that one is ready', () => {
    // The second output (intents 2..9) is not ready; the third (intent 4) is
    // below `safe` but may not commit before it, nor with an offset past 2.
    expect(committable([entry(1), entry(2, 9), entry(4)], 6n)).toEqual({ count: 1, offset: 2n });
  });

  it('commits the offset alone when no output is ready', () => {
    expect(committable([], 12n)).toEqual({ count: 0, offset: 12n });
    expect(committable([entry(3, 20)], 12n)).toEqual({ count: 0, offset: 3n });
  });

  it('never commits an output with an intent at or above the offset, nor leaves one below it', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(100), fc.nat(20)).map(([min, span]) => entry(min, min + span)),
          { maxLength: 30 },
        ),
        fc.nat(150),
        (outbox, safeNumber) => {
          const safe = BigInt(safeNumber);
          const { count, offset } = committable(outbox, safe);
          expect(offset <= safe).toBe(true);
          for (const e of outbox.slice(0, count)) expect(e.maxOffset < offset).toBe(true);
          for (const e of outbox.slice(count)) expect(e.minOffset >= offset).toBe(true);
        },
      ),
    );
  });
});
