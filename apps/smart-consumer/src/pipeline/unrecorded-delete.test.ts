import type { Intent } from '@wail/intent';
import { withUnrecordedDelete } from './intent-processor';

const intent = (op: Intent['op'], tsMs: number): { intent: Intent } => ({
  intent: {
    intentId: new Uint8Array(16),
    table: 't',
    op,
    key: [{ name: 'id', value: 1n }],
    ts: BigInt(tsMs) * 1000n,
    proxyId: 'p',
  },
});

const absent = { state: 'absent', deletedTs: undefined } as const;
const HORIZON = 60_000;
const NOW = 1_000_000;

describe('withUnrecordedDelete', () => {
  it('completes the newest delete older than the horizon when a strong read finds no row and no tombstone', () => {
    const pending = [
      intent('upsert', NOW - 90_000),
      intent('delete', NOW - 80_000),
      intent('delete', NOW - 70_000),
    ];
    expect(withUnrecordedDelete(absent, pending, 'strong', HORIZON, NOW)).toEqual({
      state: 'absent',
      deletedTs: BigInt(NOW - 70_000) * 1000n,
    });
  });

  it('leaves a younger delete to wait: it may not have landed, and an older upsert may still land', () => {
    const pending = [intent('upsert', NOW - 100), intent('delete', NOW - 50)];
    expect(withUnrecordedDelete(absent, pending, 'strong', HORIZON, NOW)).toBe(absent);
  });

  it('proves nothing from a fast read, a present row, a recorded tombstone, or upserts alone', () => {
    const old = [intent('delete', NOW - 120_000)];
    expect(withUnrecordedDelete(absent, old, 'fast', HORIZON, NOW)).toBe(absent);
    const present = { state: 'present', row: {}, wailTs: 5n } as const;
    expect(withUnrecordedDelete(present, old, 'strong', HORIZON, NOW)).toBe(present);
    const recorded = { state: 'absent', deletedTs: 7n } as const;
    expect(withUnrecordedDelete(recorded, old, 'strong', HORIZON, NOW)).toBe(recorded);
    expect(
      withUnrecordedDelete(absent, [intent('upsert', NOW - 120_000)], 'strong', HORIZON, NOW),
    ).toBe(absent);
  });
});
