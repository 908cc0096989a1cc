import { HybridLogicalClock } from './clock';
import { intentIdFromString, intentIdToString, newIntentId } from './intent-id';

describe('HybridLogicalClock', () => {
  it('follows the wall clock when it moves forward', () => {
    let wall = 1_000n;
    const clock = new HybridLogicalClock(() => wall);
    expect(clock.now()).toBe(1_000n);
    wall = 5_000n;
    expect(clock.now()).toBe(5_000n);
  });

  it('stays strictly monotonic when the wall clock stands still or steps back', () => {
    let wall = 10_000n;
    const clock = new HybridLogicalClock(() => wall);
    const seen = [clock.now(), clock.now()];
    wall = 2_000n;
    seen.push(clock.now(), clock.now());
    wall = 10_001n;
    seen.push(clock.now());
    expect(seen).toEqual([10_000n, 10_001n, 10_002n, 10_003n, 10_004n]);
  });

  it('moves past an observed timestamp', () => {
    const clock = new HybridLogicalClock(() => 100n);
    clock.observe(500n);
    expect(clock.now()).toBe(501n);
  });

  it('reads the real wall clock in microseconds by default', () => {
    const before = BigInt(Date.now()) * 1000n;
    const value = new HybridLogicalClock().now();
    expect(value).toBeGreaterThanOrEqual(before - 5_000n);
    expect(value).toBeLessThan(before + 5_000_000n);
  });
});

describe('intent ids', () => {
  it('are UUIDv7: version 7, RFC 4122 variant, time first', () => {
    const id = newIntentId(0x0123456789ab);
    const text = intentIdToString(id);
    expect(text).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(intentIdFromString(text)).toEqual(id);
  });

  it('sort by creation time', () => {
    const earlier = intentIdToString(newIntentId(1_000));
    const later = intentIdToString(newIntentId(2_000));
    expect(earlier < later).toBe(true);
  });
});
