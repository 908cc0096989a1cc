import { PassThrough } from 'node:stream';
import { pace, progressReporter } from './progress';

describe('backfill progress', () => {
  it('computes the pace of this process and the time left from the estimate', () => {
    const state = { rowsScanned: 3000, refreshesAppended: 3000, estimatedRows: 10_000 };
    expect(pace(state, 1000, 0, 2000)).toEqual({ rowsPerSecond: 1000, etaSeconds: 7 });
    expect(pace({ ...state, estimatedRows: null }, 1000, 0, 2000).etaSeconds).toBeUndefined();
    // More rows than the estimate: nothing left, not a negative time.
    expect(pace({ ...state, estimatedRows: 2000 }, 1000, 0, 2000).etaSeconds).toBe(0);
  });

  it('writes a plain line at most every few seconds when the output is not a terminal, and a last one', () => {
    const output = new PassThrough();
    let clock = 0;
    const progress = progressReporter('orders', output, {
      startedAt: 0,
      scannedAtStart: 0,
      now: () => clock,
      everyMs: 5000,
    });
    const state = { rowsScanned: 0, refreshesAppended: 0, estimatedRows: 4000 };
    for (clock = 1000; clock <= 12_000; clock += 1000)
      progress.update({ ...state, rowsScanned: clock / 4, refreshesAppended: clock / 4 });
    progress.stop({ rowsScanned: 4000, refreshesAppended: 3990, estimatedRows: 4000 });
    const lines = String(output.read()).trim().split('\n');
    // At 5 s and 10 s, then the last.
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      'backfill orders: 1250 of ~4000 rows scanned, 1250 refresh intents appended, 250 rows/s, eta 11 s',
    );
    expect(lines.at(-1)).toContain('4000 of ~4000 rows scanned, 3990 refresh intents appended');
  });
});
