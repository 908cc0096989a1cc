import { WailError } from '@wail/errors';
import { KafkaError, type OutgoingRecord } from '@wail/kafka';
import { IntentLog, intentLogFailure } from './intent-log';

describe('the intent log', () => {
  it('names a record Kafka refuses for its size PAYLOAD_TOO_LARGE (not retriable)', () => {
    const failure = intentLogFailure(new KafkaError('too-large', 'Kafka refused a record'));
    expect(failure).toBeInstanceOf(WailError);
    expect(failure).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      statusCode: 413,
      retriable: false,
      message: 'Kafka refused a record',
    });
  });

  it.each(['unavailable', 'timeout', 'queue-full'] as const)(
    'names %s INTENT_LOG_UNAVAILABLE (503, retriable)',
    (kind) => {
      expect(intentLogFailure(new KafkaError(kind, 'no'))).toMatchObject({
        code: 'INTENT_LOG_UNAVAILABLE',
        statusCode: 503,
        retriable: true,
      });
    },
  );

  it('leaves errors that are not Kafka failures as they are', () => {
    const other = new Error('bug');
    expect(intentLogFailure(other)).toBe(other);
  });

  it('maps every append of a batch on its own', async () => {
    const log = new IntentLog(
      new Map([
        [
          'main',
          {
            appendEach: (records: readonly OutgoingRecord[]) =>
              records.map((r) =>
                r.key?.toString() === 'big'
                  ? Promise.reject(new KafkaError('too-large', 'refused'))
                  : Promise.resolve(),
              ),
          },
        ],
      ]),
    );
    const outcomes = await Promise.allSettled(
      log.appendEach(
        ['a', 'big', 'b'].map((key) => ({
          cluster: 'main',
          record: { topic: 't', key: Buffer.from(key), value: null },
        })),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('sends each cluster its own records, in one request each, and refuses an unknown cluster', async () => {
    const requests: [string, string[]][] = [];
    const cluster = (name: string) => ({
      appendEach: (records: readonly OutgoingRecord[]) => {
        requests.push([name, records.map((r) => r.key!.toString())]);
        return records.map(() => Promise.resolve());
      },
    });
    const log = new IntentLog(
      new Map([
        ['main', cluster('main')],
        ['hot', cluster('hot')],
      ]),
    );
    const outcomes = await Promise.allSettled(
      log.appendEach(
        [
          ['main', 'a'],
          ['hot', 'b'],
          ['cold', 'c'],
          ['main', 'd'],
        ].map(([name, key]) => ({
          cluster: name!,
          record: { topic: 't', key: Buffer.from(key!), value: null },
        })),
      ),
    );
    expect(requests).toEqual([
      ['main', ['a', 'd']],
      ['hot', ['b']],
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'CLUSTER_NOT_CONFIGURED',
      statusCode: 503,
      retriable: false,
      message: expect.stringContaining('"cold"'),
    });
  });

  it('observes the seconds from handing each record over until Kafka acknowledged it, acknowledged ones only', async () => {
    let clock = 1000;
    const acks = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
    const observed: number[] = [];
    const log = new IntentLog(
      new Map([
        [
          'main',
          {
            appendEach: (records: readonly OutgoingRecord[]) =>
              records.map(
                (r) =>
                  new Promise<void>((resolve, reject) =>
                    acks.set(r.key!.toString(), { resolve, reject }),
                  ),
              ),
          },
        ],
      ]),
      { appendSeconds: { observe: (seconds) => observed.push(seconds) }, now: () => clock },
    );
    const outcomes = log.appendEach(
      ['a', 'b', 'c'].map((key) => ({
        cluster: 'main',
        record: { topic: 't', key: Buffer.from(key), value: null },
      })),
    );
    clock += 4;
    acks.get('a')!.resolve();
    await outcomes[0];
    clock += 20;
    acks.get('b')!.reject(new KafkaError('timeout', 'no ack'));
    await expect(outcomes[1]).rejects.toMatchObject({ code: 'INTENT_LOG_UNAVAILABLE' });
    clock += 6;
    acks.get('c')!.resolve();
    await outcomes[2];
    expect(observed).toEqual([0.004, 0.03]);
  });
});
