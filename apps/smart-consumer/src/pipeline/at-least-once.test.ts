import { KafkaError, type OutgoingRecord } from '@wail/kafka';
import { AtLeastOnceDelivery } from './at-least-once';
import type { HeldPartition } from './delivery';
import { PublishedVersions } from './published-versions';

function held(
  topic: string,
  partition: number,
  safe: () => bigint | undefined,
  published = new PublishedVersions(),
) {
  const view = {
    topic,
    partition,
    revoked: false,
    safeOffset: safe,
    seek: jest.fn(),
    replay: jest.fn(),
    relieved: jest.fn(),
    cut: jest.fn(),
    published,
    eventLimitsStale: jest.fn(),
  };
  return view satisfies HeldPartition;
}

function harness() {
  const appended: OutgoingRecord[][] = [];
  const commits: { topic: string; partition: number; offset: bigint }[][] = [];
  const delivery = new AtLeastOnceDelivery({
    publisher: {
      append: async (records) => {
        appended.push([...records]);
      },
    },
    commitOffsets: async (offsets) => {
      commits.push(offsets);
    },
  });
  return { delivery, appended, commits };
}

const record: OutgoingRecord = { topic: 'wail.events.t', key: null, value: Buffer.from('x') };
const batch = (offsets: number[]) => ({
  topic: 'i',
  partition: 0,
  isStale: () => false,
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

describe('at-least-once delivery', () => {
  it('takes every record of a batch and appends outputs at once, holding none', async () => {
    const h = harness();
    const partition = h.delivery.open(held('i', 0, () => undefined));
    expect((await partition.admit(batch([3, 4]))).map((r) => r.offset)).toEqual([3n, 4n]);
    await partition.emit([record], [3n]);
    expect(h.appended).toEqual([[record]]);
    expect(partition.held).toBe(0);
  });

  it('counts an event as published once Kafka acknowledged it, not when the append failed', async () => {
    const published = new PublishedVersions();
    const h = harness();
    await h.delivery
      .open(held('i', 0, () => undefined, published))
      .emit([record], [3n], { keyId: 'k', version: 5n });
    expect(published.get('k')).toBe(5n);
    const failing = new AtLeastOnceDelivery({
      publisher: { append: () => Promise.reject(new Error('down')) },
      commitOffsets: async () => undefined,
    }).open(held('i', 0, () => undefined, published));
    await expect(failing.emit([record], [4n], { keyId: 'k', version: 9n })).rejects.toThrow();
    expect(published.get('k')).toBe(5n);
  });

  it('publishes superseded intents too: any newer version is the current state', () => {
    expect(harness().delivery.publishes()).toBe(true);
  });

  it('commits the lowest unfinished offset of each partition, only when it moved', async () => {
    const h = harness();
    let safe = 5n;
    h.delivery.open(held('i', 0, () => safe));
    h.delivery.open(held('i', 1, () => undefined));
    await h.delivery.commit();
    await h.delivery.commit();
    safe = 9n;
    await h.delivery.commit();
    expect(h.commits).toEqual([
      [{ topic: 'i', partition: 0, offset: 5n }],
      [{ topic: 'i', partition: 0, offset: 9n }],
    ]);
  });

  it('commits nothing for a revoked or dropped partition', async () => {
    const h = harness();
    const revoked = held('i', 0, () => 5n);
    h.delivery.open(revoked);
    const dropped = h.delivery.open(held('i', 1, () => 7n));
    revoked.revoked = true;
    dropped.dropped();
    await h.delivery.commit();
    expect(h.commits).toEqual([]);
    expect(h.delivery.safeOffsets()).toEqual([]);
  });

  it("names a Kafka failure of its outputs in the consumer's codes", async () => {
    const failing = (error: Error) =>
      new AtLeastOnceDelivery({
        publisher: { append: () => Promise.reject(error) },
        commitOffsets: async () => undefined,
      }).open(held('i', 0, () => undefined));
    await expect(
      failing(new KafkaError('unavailable', 'Kafka did not acknowledge (ECONNREFUSED)')).emit(
        [record],
        [0n],
      ),
    ).rejects.toMatchObject({ code: 'OUTPUT_UNAVAILABLE', retriable: true });
    await expect(
      failing(new KafkaError('too-large', 'refused')).emit([record], [0n]),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', retriable: false });
  });
});
