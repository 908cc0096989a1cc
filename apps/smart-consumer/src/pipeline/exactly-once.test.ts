import { WailError } from '@wail/errors';
import { newIntentId } from '@wail/intent';
import type { OutgoingRecord } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import type { HeldPartition } from './delivery';
import { ExactlyOnceDelivery, type PartitionTransactions } from './exactly-once';
import type { PendingIntent } from './key-scheduler';
import { PublishedVersions } from './published-versions';

function held(
  safe: { offset: bigint | undefined },
  published = new PublishedVersions(),
  partition = 0,
) {
  const view = {
    topic: 'i',
    partition,
    revoked: false,
    safeOffset: () => safe.offset,
    seek: jest.fn<void, [bigint]>(),
    replay: jest.fn<void, [bigint]>(),
    relieved: jest.fn<void, []>(),
    cut: jest.fn<void, []>(),
    published,
    eventLimitsStale: jest.fn<void, []>(),
  };
  return view satisfies HeldPartition;
}

const batch = (offsets: number[], stale = false) => ({
  topic: 'i',
  partition: 0,
  isStale: () => stale,
  records: offsets.map((offset) => ({
    topic: 'i',
    partition: 0,
    offset: BigInt(offset),
    key: null,
    value: null,
    headers: {},
    timestamp: 0,
  })),
});

const output = (name: string): OutgoingRecord => ({
  topic: 'wail.events.t',
  key: null,
  value: Buffer.from(name),
});

/** `committed`: the partition's committed offset, null for none. */
function harness(
  committed: bigint | null = 10n,
  options: { cutAfterMs?: number; now?: () => number } = {},
) {
  const claims: number[] = [];
  const commits: { records: string[]; offset: bigint }[] = [];
  const released: number[] = [];
  let failCommit: Error | undefined;
  let failClaim: Error | undefined;
  const transactions: PartitionTransactions = {
    claim: async (_topic, partition) => {
      claims.push(partition);
      if (failClaim) throw failClaim;
      return committed ?? undefined;
    },
    commit: async (_topic, _partition, records, offset) => {
      if (failCommit) throw failCommit;
      commits.push({ records: records.map((r) => String(r.value)), offset });
    },
    release: async (_topic, partition) => {
      released.push(partition);
    },
  };
  const delivery = new ExactlyOnceDelivery({ transactions, logger: silentLogger(), ...options });
  return {
    delivery,
    claims,
    commits,
    released,
    failCommitWith: (error: Error | undefined) => (failCommit = error),
    failClaimWith: (error: Error | undefined) => (failClaim = error),
  };
}

const offsets = (records: readonly { offset: bigint }[]) => records.map((r) => r.offset);

describe('exactly-once delivery', () => {
  it('claims a partition once, even for batches that arrive during the claim, and starts at its committed offset', async () => {
    const h = harness(10n);
    const view = held({ offset: undefined });
    const partition = h.delivery.open(view);
    const [first, second] = await Promise.all([
      partition.admit(batch([10, 11])),
      partition.admit(batch([10, 11])),
    ]);
    expect(h.claims).toEqual([0]);
    expect(offsets(first)).toEqual([10n, 11n]);
    // The second batch repeats what the first one already handed over.
    expect(second).toEqual([]);
    expect(offsets(await partition.admit(batch([11, 12, 13])))).toEqual([12n, 13n]);
  });

  it('seeks back to the committed offset when the fetch position is past it', async () => {
    const h = harness(10n);
    const view = held({ offset: undefined });
    const partition = h.delivery.open(view);
    expect(await partition.admit(batch([14, 15]))).toEqual([]);
    expect(view.seek).toHaveBeenCalledWith(10n);
  });

  it('starts at the first fetched offset when nothing is committed, and takes nothing from a stale batch', async () => {
    const h = harness(null);
    const partition = h.delivery.open(held({ offset: undefined }));
    expect(await partition.admit(batch([3], true))).toEqual([]);
    expect(offsets(await partition.admit(batch([3, 4])))).toEqual([3n, 4n]);
  });

  it('replays from the first fetched offset after a failed claim, a moment later', async () => {
    jest.useFakeTimers();
    try {
      const h = harness();
      h.failClaimWith(new Error('coordinator not available'));
      const view = held({ offset: undefined });
      const admitted = h.delivery.open(view).admit(batch([7]));
      await jest.advanceTimersByTimeAsync(0);
      expect(view.replay).toHaveBeenCalledWith(7n);
      let settled = false;
      void admitted.then(() => (settled = true));
      await jest.advanceTimersByTimeAsync(499);
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await admitted).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('holds outputs in the outbox and commits the ready prefix with the offset it completes', async () => {
    const h = harness(0n);
    const safe = { offset: undefined as bigint | undefined };
    const view = held(safe);
    const partition = h.delivery.open(view);
    await partition.admit(batch([0, 1, 2, 3]));
    await partition.emit([output('a')], [0n]);
    await partition.emit([output('b')], [1n, 3n]);
    await partition.emit([output('c')], [2n]);
    expect(partition.held).toBe(3);
    expect(h.commits).toEqual([]);

    // Intent 3 is unfinished: only the first output can commit, with offset 1.
    safe.offset = 3n;
    await h.delivery.commit();
    expect(h.commits).toEqual([{ records: ['a'], offset: 1n }]);
    expect(partition.held).toBe(2);
    expect(view.relieved).toHaveBeenCalled();

    safe.offset = 4n;
    await h.delivery.commit();
    await h.delivery.commit();
    expect(h.commits.slice(1)).toEqual([{ records: ['b', 'c'], offset: 4n }]);
  });

  it('commits nothing before the claim', async () => {
    const h = harness();
    h.delivery.open(held({ offset: 5n }));
    await h.delivery.commit();
    expect(h.commits).toEqual([]);
  });

  it('replays the partition from its committed offset when a transaction fails', async () => {
    const h = harness(0n);
    const view = held({ offset: 2n });
    const partition = h.delivery.open(view);
    await partition.admit(batch([0, 1]));
    await partition.emit([output('a')], [0n]);
    h.failCommitWith(new WailError('PAYLOAD_TOO_LARGE', 'refused'));
    await h.delivery.commit();
    expect(view.replay).toHaveBeenCalledWith(0n);
    expect(view.eventLimitsStale).toHaveBeenCalled();
  });

  it('publishes a version only for the intent that wrote it', () => {
    const intent = (ts: bigint) =>
      ({
        intent: { intentId: newIntentId(), table: 't', op: 'upsert', key: [], ts, proxyId: 'p' },
      }) as unknown as PendingIntent;
    const { delivery } = harness();
    expect(delivery.publishes(5n, [intent(3n), intent(5n)])).toBe(true);
    expect(delivery.publishes(6n, [intent(3n), intent(5n)])).toBe(false);
  });

  it('stops committing a dropped partition; release ends its producer', async () => {
    const h = harness(0n);
    const partition = h.delivery.open(held({ offset: 1n }));
    await partition.admit(batch([0]));
    await partition.emit([output('a')], [0n]);
    partition.dropped();
    partition.released();
    await h.delivery.commit();
    expect(h.commits).toEqual([]);
    expect(h.released).toEqual([0]);
  });

  it("forgets only a dropped outbox's versions: what another partition committed still counts as published", async () => {
    const h = harness(0n);
    const published = new PublishedVersions();
    const committing = h.delivery.open(held({ offset: 1n }, published, 0));
    const dropping = h.delivery.open(held({ offset: 0n }, published, 1));
    await committing.admit(batch([0]));
    await dropping.admit(batch([0]));
    await committing.emit([output('a@5')], [0n], { keyId: 'a', version: 5n });
    await dropping.emit([output('a@9')], [0n], { keyId: 'a', version: 9n });
    await dropping.emit([output('b@7')], [0n], { keyId: 'b', version: 7n });
    // In an outbox counts as published: no other round publishes them again meanwhile.
    expect([published.get('a'), published.get('b')]).toEqual([9n, 7n]);
    await h.delivery.commit();
    expect(h.commits).toEqual([{ records: ['a@5'], offset: 1n }]);
    dropping.dropped();
    // a@5 is in Kafka: a duplicate of its intent (a move forwards at least
    // once) must not publish it again; a@9 and b@7 never reached Kafka.
    expect([published.get('a'), published.get('b')]).toEqual([5n, undefined]);
  });

  it('stops fetching a partition whose outputs overlap without a cut for two commit intervals, and commits them whole once its rounds end', async () => {
    let clock = 0;
    const h = harness(0n, { cutAfterMs: 200, now: () => clock });
    const safe = { offset: 1n as bigint | undefined };
    const view = held(safe);
    const partition = h.delivery.open(view);
    await partition.admit(batch([0, 1, 2, 3, 4, 5]));
    // Hot keys: each output's intents span the next one's, so no prefix commits.
    await partition.emit([output('a')], [0n, 2n]);
    await partition.emit([output('b')], [1n, 4n]);
    safe.offset = 3n;
    clock = 150;
    await h.delivery.commit();
    expect(h.commits).toEqual([]);
    expect(view.cut).not.toHaveBeenCalled();
    clock = 200;
    await h.delivery.commit();
    expect(h.commits).toEqual([]);
    expect(view.cut).toHaveBeenCalledTimes(1);
    // Fetching stopped: the rounds under way finish, and everything commits.
    await partition.emit([output('c')], [3n, 5n]);
    safe.offset = 6n;
    await h.delivery.commit();
    expect(h.commits).toEqual([{ records: ['a', 'b', 'c'], offset: 6n }]);
    expect(view.relieved).toHaveBeenCalled();
    // The clock restarts at the commit.
    await partition.emit([output('d')], [7n, 9n]);
    safe.offset = 8n;
    clock = 300;
    await h.delivery.commit();
    expect(view.cut).toHaveBeenCalledTimes(1);
  });

  it('makes no cut when an unfinished intent older than every output holds the commit back (a pause would not help)', async () => {
    let clock = 0;
    const h = harness(0n, { cutAfterMs: 200, now: () => clock });
    const safe = { offset: 2n as bigint | undefined };
    const view = held(safe);
    const partition = h.delivery.open(view);
    await partition.admit(batch([0, 1, 2, 3, 4, 5]));
    await partition.emit([output('a')], [3n, 5n]);
    await partition.emit([output('b')], [4n]);
    clock = 1000;
    await h.delivery.commit();
    expect(view.cut).not.toHaveBeenCalled();
    // Offsets below the waiting intent still commit, without outputs.
    expect(h.commits).toEqual([{ records: [], offset: 2n }]);
  });

  it('discards the output of a round that outlived its partition: its version does not count as published', async () => {
    const h = harness(0n);
    const published = new PublishedVersions();
    const view = held({ offset: 1n }, published);
    const partition = h.delivery.open(view);
    await partition.admit(batch([0]));
    view.revoked = true;
    partition.dropped();
    await partition.emit([output('late')], [0n], { keyId: 'k', version: 5n });
    expect(published.get('k')).toBeUndefined();
    expect(partition.held).toBe(0);
  });

  it('counts what a transaction committed as published even when the partition was revoked during it', async () => {
    const published = new PublishedVersions();
    const view = held({ offset: 1n }, published);
    const delivery = new ExactlyOnceDelivery({
      logger: silentLogger(),
      transactions: {
        claim: async () => 0n,
        commit: async () => {
          view.revoked = true;
        },
        release: async () => undefined,
      },
    });
    const partition = delivery.open(view);
    await partition.admit(batch([0]));
    await partition.emit([output('a@5')], [0n], { keyId: 'a', version: 5n });
    await delivery.commit();
    partition.dropped();
    expect(published.get('a')).toBe(5n);
  });

  it('starts the cut clock when outputs start waiting, not at the last commit before an idle spell', async () => {
    let clock = 0;
    const h = harness(0n, { cutAfterMs: 200, now: () => clock });
    const safe = { offset: 3n as bigint | undefined };
    const view = held(safe);
    const partition = h.delivery.open(view);
    await partition.admit(batch([0, 1, 2, 3, 4]));
    clock = 10_000;
    await partition.emit([output('a')], [0n, 2n]);
    await partition.emit([output('b')], [1n, 4n]);
    clock = 10_150;
    await h.delivery.commit();
    expect(view.cut).not.toHaveBeenCalled();
    clock = 10_200;
    await h.delivery.commit();
    expect(view.cut).toHaveBeenCalledTimes(1);
  });
});
