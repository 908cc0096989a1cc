import { subscriberMismatches, type ReceivedChange } from '../src/subscribers';

const change = (
  key: string,
  version: number,
  op: 'UPSERT' | 'DELETE' = 'UPSERT',
): ReceivedChange => ({
  table: 'm_items',
  key,
  op,
  version: BigInt(version),
});
const finals = new Map([
  ['m_items/1', { op: 'UPSERT', version: 5n }],
  ['m_items/2', { op: 'DELETE', version: 9n }],
]);

describe('a gateway subscriber at the end of a run', () => {
  it('agrees when its last change of every key is the key’s last event, redeliveries allowed', () => {
    expect(
      subscriberMismatches(finals, [
        change('1', 3),
        change('2', 9, 'DELETE'),
        change('1', 4),
        change('1', 5),
      ]),
    ).toEqual([]);
  });

  it('names a key it never received, one whose last change is older, and one with no event', () => {
    expect(subscriberMismatches(finals, [change('1', 5), change('1', 4), change('3', 1)])).toEqual([
      'm_items/1: last received UPSERT @ 4, last event UPSERT @ 5',
      'm_items/2: never received (last event DELETE @ 9)',
      'm_items/3: received, but no event exists',
    ]);
  });

  it('tells a delete from an upsert at the same version', () => {
    expect(subscriberMismatches(finals, [change('1', 5), change('2', 9)])).toEqual([
      'm_items/2: last received UPSERT @ 9, last event DELETE @ 9',
    ]);
  });
});
