import {
  verify,
  type ObservedEvent,
  type ObservedIntent,
  type Observations,
  type SentWrite,
} from '../src/verify';

type History = Observations & { events: ObservedEvent[]; unmaterialized: ObservedIntent[] };

const write = (id: string, op: SentWrite['op'], ts: number | undefined, a = 1): SentWrite => ({
  id,
  table: 'm_items',
  key: '7',
  op,
  values:
    op === 'delete' ? { req: id } : op === 'partial' ? { a, req: id } : { a, b: 'x', req: id },
  ...(ts === undefined ? {} : { ackedTs: BigInt(ts) }),
});

const event = (
  offset: number,
  version: number,
  after: Record<string, unknown> | null,
): ObservedEvent => ({
  table: 'm_items',
  key: '7',
  partition: 0,
  offset: BigInt(offset),
  op: after ? 'UPSERT' : 'DELETE',
  version: BigInt(version),
  after,
});

/** A consistent history: upsert w1@100, partial w2@200, delete w3@300, upsert w4@400 (final row). */
function healthy(): History {
  return {
    writes: [
      write('w1', 'upsert', 100, 1),
      write('w2', 'partial', 200, 2),
      write('w3', 'delete', 300),
      write('w4', 'upsert', 400, 4),
      write('w5', 'upsert', undefined, 5), // never answered, never materialized
    ],
    intents: [100, 200, 300, 400, 500].map((ts) => ({
      table: 'm_items',
      key: '7',
      ts: BigInt(ts),
    })),
    events: [
      event(0, 100, { a: 1, b: 'x', req: 'w1' }),
      event(1, 200, { a: 2, b: 'x', req: 'w2' }),
      event(2, 300, null),
      event(3, 400, { a: 4, b: 'x', req: 'w4' }),
    ],
    unmaterialized: [{ table: 'm_items', key: '7', ts: 500n }],
    deadLetters: 0,
    finalRows: [{ table: 'm_items', key: '7', version: 400n, row: { a: 4, b: 'x', req: 'w4' } }],
    exactlyOnce: true,
  };
}

const checksOf = (observed: Observations) => verify(observed).violations.map((v) => v.check);

describe('chaos checks', () => {
  it('accept a consistent history', () => {
    expect(verify(healthy())).toMatchObject({ duplicates: 0, violations: [] });
  });

  it('find a lost acknowledged write', () => {
    const observed = healthy();
    observed.events = observed.events.slice(0, 3);
    observed.finalRows = [];
    expect(checksOf(observed)).toContain('lost');
  });

  it('find versions going backwards', () => {
    const observed = healthy();
    observed.events = [observed.events[1]!, observed.events[0]!, ...observed.events.slice(2)].map(
      (e, i) => ({ ...e, offset: BigInt(i) }),
    );
    expect(checksOf(observed)).toEqual(['backwards']);
  });

  it('count duplicates, and reject them only in exactly-once mode', () => {
    const observed = healthy();
    observed.events = [...observed.events, { ...observed.events[3]!, offset: 4n }];
    expect(verify(observed).duplicates).toBe(1);
    expect(checksOf(observed)).toEqual(['duplicate']);
    expect(checksOf({ ...observed, exactlyOnce: false })).toEqual([]);
  });

  it('find a last event that is not the final row', () => {
    const observed = healthy();
    observed.finalRows = [
      { table: 'm_items', key: '7', version: 400n, row: { a: 99, b: 'x', req: 'w4' } },
    ];
    expect(checksOf(observed)).toEqual(['final-state']);
    observed.finalRows = [];
    expect(checksOf(observed)).toEqual(['final-state']);
  });

  it("find an event whose state is not its version's write", () => {
    const observed = healthy();
    observed.events[1] = event(1, 200, { a: 3, b: 'x', req: 'w2' });
    expect(checksOf(observed)).toEqual(['state-mismatch']);
    observed.events[1] = event(1, 200, { a: 2, b: 'x', req: 'w4' }); // shows a later write
    expect(checksOf(observed)).toContain('state-mismatch');
    observed.events[1] = event(1, 200, { a: 2, b: 'x', req: 'nobody' });
    expect(checksOf(observed)).toContain('state-mismatch');
  });

  it('find phantom events', () => {
    const observed = healthy();
    observed.intents = observed.intents.filter((i) => i.ts !== 200n);
    expect(checksOf(observed)).toEqual(['phantom']);
    const unmaterialized = healthy();
    unmaterialized.unmaterialized.push({ table: 'm_items', key: '7', ts: 300n });
    expect(checksOf(unmaterialized)).toEqual(['phantom']);
  });

  it('treat any dead letter as a violation', () => {
    expect(checksOf({ ...healthy(), deadLetters: 2 })).toEqual(['dead-letter']);
  });

  it('find what the hostile clients got through: an accepted refusal, a calm 5xx, a mass delete', () => {
    const calm = { accepted: [], calm5xx: [], membersSeeded: 5, membersLeft: 5 };
    expect(checksOf({ ...healthy(), hostile: calm })).toEqual([]);
    expect(
      checksOf({ ...healthy(), hostile: { ...calm, accepted: ['oversized-key answered 200'] } }),
    ).toEqual(['hostile-accepted']);
    expect(
      checksOf({ ...healthy(), hostile: { ...calm, calm5xx: ['well-formed write answered 503'] } }),
    ).toEqual(['calm-5xx']);
    expect(checksOf({ ...healthy(), hostile: { ...calm, membersLeft: 0 } })).toEqual([
      'mass-delete',
    ]);
  });
});
