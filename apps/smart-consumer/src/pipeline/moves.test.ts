import type { TableRoute } from '@wail/contracts';
import {
  DrainLedger,
  decodeMarker,
  encodeMarker,
  placedBy,
  placement,
  type DrainMarker,
} from './moves';

const route = (over: Partial<TableRoute> = {}): TableRoute => ({
  table: 'items',
  store: 'mysql',
  database: 'shop',
  physicalTable: 'items',
  keyColumns: ['id'],
  intentTopic: 'wail.hot.intents',
  intentCluster: 'hot',
  failureMode: 'transactional',
  visibilityWindowMs: 10_000,
  revision: 7,
  modelVersion: 1,
  ...over,
});
const moving = route({
  drainFrom: { intentCluster: 'main', intentTopic: 'wail.intents', revision: 7 },
});
const marker = (partition: number, partitions = 3): DrainMarker => ({
  table: 'items',
  revision: 7,
  from: { intentCluster: 'main', intentTopic: 'wail.intents' },
  partition,
  partitions,
});
const source = (revision: number) => ({
  intentCluster: 'main',
  intentTopic: 'wail.intents',
  revision,
});
const never = () => false;
const always = () => true;

describe('placement', () => {
  /** Placed by a proxy whose route had revision `revision`; this consumer's listing is at 7. */
  const by = (revision: number | undefined) => ({ by: revision, known: 7, waitedOut: false });
  const hotHere = { intentCluster: 'hot', intentTopic: 'wail.hot.intents' };
  const oldHere = { intentCluster: 'main', intentTopic: 'wail.intents' };

  it('processes where the route logs, once no move drains into it', () => {
    expect(placement(route(), hotHere, by(7), never)).toBe('process');
    expect(placement(moving, hotHere, by(7), always)).toBe('process');
  });

  it('holds a moving table at its new location until the old one has drained', () => {
    expect(placement(moving, hotHere, by(7), never)).toBe('hold');
  });

  it('forwards what it reads where the table no longer logs, drained or not', () => {
    expect(placement(moving, oldHere, by(6), never)).toBe('forward');
    expect(placement(route(), oldHere, by(undefined), always)).toBe('forward');
    // Same cluster, another topic; and "." versus "_" is one Kafka topic.
    expect(placement(route(), { intentCluster: 'hot', intentTopic: 'other' }, by(7), always)).toBe(
      'forward',
    );
    expect(
      placement(route(), { intentCluster: 'hot', intentTopic: 'wail_hot_intents' }, by(7), always),
    ).toBe('process');
  });

  it('holds an intent placed by a newer route than this consumer has, for a while', () => {
    expect(placement(route(), oldHere, by(8), always)).toBe('hold');
    expect(placement(route(), hotHere, by(8), always)).toBe('hold');
    // The listing is newer than the placing route: the route known is the latest.
    expect(placement(route(), hotHere, { by: 8, known: 9, waitedOut: false }, always)).toBe(
      'process',
    );
    // Waited the grace period out (a restored repository, a forged header): placed as known.
    expect(placement(route(), hotHere, { by: 1e9, known: 7, waitedOut: true }, always)).toBe(
      'process',
    );
  });
});

describe('placedBy', () => {
  it('reads a decimal revision header, ignoring anything else', () => {
    expect(placedBy({ h: Buffer.from('42') }, 'h')).toBe(42);
    expect(placedBy({ h: '42' }, 'h')).toBe(42);
    expect(placedBy({}, 'h')).toBeUndefined();
    expect(placedBy(undefined, 'h')).toBeUndefined();
    for (const bad of ['', '-1', '1e3', '4.2', 'x', '9'.repeat(16)])
      expect(placedBy({ h: Buffer.from(bad) }, 'h')).toBeUndefined();
  });
});

describe('drain markers', () => {
  it('round-trip, keyed by table, move and partition (the drain topic is compacted)', () => {
    const { key, value } = encodeMarker(marker(2));
    expect(key.toString()).toBe('items|7|main|wail.intents|2');
    expect(decodeMarker(value)).toEqual(marker(2));
  });

  it.each([
    ['null', null],
    ['not JSON', Buffer.from('{')],
    ['no table', Buffer.from(JSON.stringify({ ...marker(0), table: 1 }))],
    ['partition out of range', Buffer.from(JSON.stringify(marker(3, 3)))],
    ['no partitions', Buffer.from(JSON.stringify(marker(0, 0)))],
    ['too many partitions', Buffer.from(JSON.stringify(marker(0, 100_001)))],
    ['oversized', Buffer.alloc(5000, 32)],
  ])('ignores %s', (_what, bytes) => {
    expect(decodeMarker(bytes)).toBeUndefined();
  });
});

describe('DrainLedger', () => {
  it('counts partitions announced before the old topic grew', () => {
    const ledger = new DrainLedger();
    expect(ledger.add(marker(0, 2))).toBe(false);
    expect(ledger.add(marker(1, 3))).toBe(false);
    expect(ledger.drained('items', source(7))).toBe(false);
    expect(ledger.add(marker(2, 3))).toBe(true);
    expect(ledger.drained('items', source(7))).toBe(true);
  });

  it('completes a move once every old partition is announced, whatever the order and repeats', () => {
    const ledger = new DrainLedger();
    expect(ledger.add(marker(2))).toBe(false);
    expect(ledger.add(marker(0))).toBe(false);
    expect(ledger.add(marker(0))).toBe(false);
    expect(ledger.drained('items', source(7))).toBe(false);
    expect(ledger.add(marker(1))).toBe(true);
    expect(ledger.drained('items', source(7))).toBe(true);
    expect(ledger.add(marker(1))).toBe(false);
    expect(ledger.drained('items', source(8))).toBe(false);
  });

  it('keeps apart moves of one table and revision from other locations (another deployment on the cluster)', () => {
    const ledger = new DrainLedger();
    ledger.add({ ...marker(0, 1), from: { intentCluster: 'main', intentTopic: 'other.intents' } });
    expect(ledger.drained('items', source(7))).toBe(false);
    ledger.add(marker(0, 1));
    expect(ledger.drained('items', source(7))).toBe(true);
  });

  it('forgets moves no route has in progress, and remembers a bounded number', () => {
    const ledger = new DrainLedger(2);
    ledger.add(marker(0, 1));
    ledger.keep([moving]);
    expect(ledger.drained('items', source(7))).toBe(true);
    ledger.keep([route()]);
    expect(ledger.drained('items', source(7))).toBe(false);
    ledger.add({ ...marker(0, 1), revision: 1 });
    ledger.add({ ...marker(0, 1), revision: 2 });
    ledger.add({ ...marker(0, 1), revision: 3 });
    // Full: the oldest move is forgotten first.
    expect([1, 2, 3].map((revision) => ledger.drained('items', source(revision)))).toEqual([
      false,
      true,
      true,
    ]);
  });
});
