import { KafkaClient } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { stackEnv, waitFor } from '@wail/testing';
import { PipelineEnvironment } from './environment';
import { http } from './support';

/**
 * A consumer SIGKILLed and started again at once resumes without waiting out
 * the dead run's session: it takes its crashed predecessor out of the group
 * before joining. The session timeout here is 60 s; the restarted consumer
 * must publish a write made after the kill well inside it, and be the group's
 * only member while the dead one's session would still run.
 */
const SESSION_MS = 60_000;
const env = new PipelineEnvironment();
const kafka = new KafkaClient({
  brokers: stackEnv().kafkaBrokers,
  clientId: 'wail-restart-test',
  logger: silentLogger(),
});
const group = `${env.name}.consumer`;

beforeAll(async () => {
  await env.start({
    consumerProcess: true,
    consumerEnv: { WAIL_CONSUMER_SESSION_TIMEOUT_MS: String(SESSION_MS) },
  });
}, 120_000);

afterAll(async () => {
  await kafka.close();
  await env.stop();
}, 60_000);

const write = async (id: number, name: string): Promise<number> => {
  const answer = await http('POST', `${env.proxy.url}/v1/tables/customers/mutations`, {
    op: 'upsert',
    key: { id },
    values: { name },
  });
  expect(answer.status).toBe(200);
  return answer.body!['ts'] as number;
};
const published = (id: number, ts: number) =>
  env.events
    .forKey('customers', (key) => key['id'] === id)
    .some((event) => event.value.version >= ts);

it('resumes after a SIGKILL long before the dead run’s session would end', async () => {
  const before = await write(1, 'before');
  await waitFor(() => published(1, before), { timeoutMs: 30_000, what: 'the first event' });
  const [dead] = await kafka.groupMembers(group);
  expect(dead).toBeDefined();

  await env.consumerProcess!.kill();
  const killedAt = Date.now();
  await env.restartConsumer();
  const after = await write(2, 'after');
  await waitFor(() => published(2, after), {
    timeoutMs: SESSION_MS / 2,
    what: 'the event of a write made after the restart',
  });
  const members = await kafka.groupMembers(group);
  expect(Date.now() - killedAt).toBeLessThan(SESSION_MS);
  expect(members).toHaveLength(1);
  expect(members[0]!.memberId).not.toBe(dead!.memberId);
  expect(members[0]!.clientId).toMatch(/^wail-consumer-/);
  expect(env.events.errors).toEqual([]);
}, 120_000);
