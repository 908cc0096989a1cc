import { KafkaError, type OutgoingRecord } from '@wail/kafka';
import { Counter, createMetricsRegistry, silentLogger } from '@wail/telemetry';
import { IntentBacklog } from './intent-backlog';
import { IntentLog, type IntentRecord } from './intent-log';

const record = (name: string): IntentRecord => ({
  cluster: 'main',
  record: { topic: 'intents', key: Buffer.from(name), value: Buffer.from(name) },
});

/** A group-commit log that answers each record by its key (refused, unavailable or appended), seen through the proxy's IntentLog. */
function fakeLog(answers: Record<string, 'refused' | 'unavailable' | 'appended'>) {
  const appendEach = (records: readonly OutgoingRecord[]) =>
    records.map((r) => {
      const answer = answers[r.key!.toString()];
      if (answer === 'refused')
        return Promise.reject(new KafkaError('too-large', 'Kafka refused a record'));
      if (answer === 'unavailable')
        return Promise.reject(new KafkaError('unavailable', 'no broker'));
      return Promise.resolve();
    });
  return new IntentLog(new Map([['main', { appendEach }]]));
}

describe('IntentBacklog', () => {
  it('drops an intent Kafka refuses, keeps the unavailable ones and re-appends the rest', async () => {
    const dropped = new Counter({
      name: 'test_dropped_total',
      help: 'dropped',
      labelNames: ['table'],
      registers: [createMetricsRegistry('test')],
    });
    const backlog = new IntentBacklog(
      fakeLog({ a: 'appended', big: 'refused', b: 'unavailable', c: 'unavailable' }),
      10,
      silentLogger(),
      dropped,
      60_000,
    );
    for (const name of ['a', 'b', 'big', 'c']) backlog.add(record(name), 'kv', name);
    await backlog.flush();
    backlog.stop();
    expect(backlog.size).toBe(2);
    expect((await dropped.get()).values).toEqual([{ labels: { table: 'kv' }, value: 1 }]);
  });
});
