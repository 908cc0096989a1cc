import { KafkaClient } from '@wail/kafka';
import { createLogger, silentLogger } from '@wail/telemetry';
import { putTableRoutes, stackEnv, waitFor } from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type ConsumerService } from '../src/main';
import { PipelineEnvironment } from './environment';
import { EventReader, http } from './support';

/**
 * Two consumer groups share one intent topic with disjoint table sets: the
 * environment's own consumer publishes `customers` (at-least-once), the
 * `rest` group every other table (`!customers`, exactly-once) — so both
 * delivery modes skip the other group's intents.
 */
const env = new PipelineEnvironment();
const restGroup = `${env.name}.rest`;
const auditIntentTopic = `${env.name}.audit.intents`;
const auditTopic = `${env.name}.events.audit`;
let rest: ConsumerService | undefined;
let admin: KafkaClient;
let auditEvents: EventReader | undefined;

function restConsumer(): Promise<ConsumerService> {
  return compose(
    loadConfig({
      ...process.env,
      WAIL_REPOSITORY_URL: env.repository.url,
      WAIL_ROUTES_REFRESH_MS: '200',
      WAIL_CONSUMER_GROUP: restGroup,
      WAIL_CONSUMER_ID: 'table-sets-rest',
      WAIL_CONSUMER_TABLES: '!customers',
      WAIL_CONSUMER_DELIVERY: 'exactly-once',
      WAIL_UNMATERIALIZED_TOPIC: env.unmaterializedTopic,
      WAIL_DLQ_TOPIC: env.deadLetterTopic,
      WAIL_CONSUMER_GRACE_MS: '5000',
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '100',
    }),
    process.env['WAIL_TEST_LOGS']
      ? createLogger({ service: 'consumer-rest', level: 'debug' })
      : silentLogger(),
  );
}

beforeAll(async () => {
  await env.start({
    consumerEnv: { WAIL_CONSUMER_TABLES: 'customers', WAIL_CONSUMER_ID: 'table-sets-customers' },
  });
  rest = await restConsumer();
  admin = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-table-sets',
    logger: silentLogger(),
  });
}, 120_000);

afterAll(async () => {
  await rest?.stop();
  await auditEvents?.stop();
  await admin?.deleteTopics([auditIntentTopic, auditTopic]).catch(() => undefined);
  await admin?.close();
  await env.stop();
}, 60_000);

const customersGroup = `${env.name}.consumer`;

/** A counter of one consumer's `/metrics`, summed over the series whose labels include `labels`. */
async function metric(
  service: ConsumerService,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelsPart = line.slice(line.indexOf('{') + 1, line.indexOf('}'));
    if (wanted.every((pair) => labelsPart.split(',').includes(pair)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Whether `group` has committed every intent of `topic` written so far (an empty partition has none). */
async function caughtUp(group: string, topic: string): Promise<boolean> {
  const ends = await admin.endOffsets(topic);
  const committed = (await admin.committedOffsets(group, [topic])).get(topic);
  return [...ends].every(
    ([partition, end]) => end === 0n || (committed?.get(partition) ?? -1n) >= end,
  );
}

async function waitCaughtUp(group: string, topic: string): Promise<void> {
  await waitFor(async () => caughtUp(group, topic), {
    timeoutMs: 30_000,
    what: `${group} committed all of ${topic}`,
  });
}

const customerKey = (id: number) => ({ id });
const orderKey = (id: number) => ({ customer_id: `t-${id}`, order_id: id });
const sameKey = (expected: Record<string, unknown>) => (key: Record<string, unknown>) =>
  Object.entries(expected).every(([k, v]) => key[k] === v);

function eventsAt(table: string, key: Record<string, unknown>, version: unknown) {
  return env.events.forKey(table, sameKey(key)).filter((e) => e.value.version === version);
}

async function write(table: string, key: Record<string, unknown>, values: Record<string, unknown>) {
  const answer = await env.mutate(table, { op: 'upsert', key, values });
  expect(answer).toMatchObject({ status: 200, body: { intentLogged: true } });
  return { table, key, ts: answer.body!['ts'] };
}

describe('consumer groups with disjoint table sets on one intent topic', () => {
  it('publish every acknowledged write exactly once, each table from the group whose set holds it', async () => {
    const service = rest!;
    const before = {
      ownCustomers: await metric(env.consumer, 'wail_consumer_events_total', {
        table: 'customers',
      }),
      ownSkipped: await metric(env.consumer, 'wail_consumer_intents_skipped_total', {
        reason: 'table-set',
        table: 'orders',
      }),
      restOrders: await metric(service, 'wail_consumer_events_total', { table: 'orders' }),
      restSkipped: await metric(service, 'wail_consumer_intents_skipped_total', {
        reason: 'table-set',
        table: 'customers',
      }),
    };
    const writes = [];
    for (let i = 1; i <= 10; i++) {
      writes.push(await write('customers', customerKey(1000 + i), { name: `c${i}` }));
      writes.push(await write('orders', orderKey(1000 + i), { status: 'open', total: i }));
    }
    for (const w of writes)
      await waitFor(() => eventsAt(w.table, w.key, w.ts).length > 0, {
        timeoutMs: 30_000,
        what: `the event of ${w.table} ${JSON.stringify(w.key)}`,
      });
    await waitCaughtUp(customersGroup, env.intentTopic);
    await waitCaughtUp(restGroup, env.intentTopic);

    expect(env.events.errors).toEqual([]);
    for (const w of writes) expect(eventsAt(w.table, w.key, w.ts)).toHaveLength(1);
    // Each group published its own tables only, and committed past the other's intents.
    expect(
      (await metric(env.consumer, 'wail_consumer_events_total', { table: 'customers' })) -
        before.ownCustomers,
    ).toBe(10);
    expect(await metric(env.consumer, 'wail_consumer_events_total', { table: 'orders' })).toBe(0);
    expect(
      (await metric(env.consumer, 'wail_consumer_intents_skipped_total', {
        reason: 'table-set',
        table: 'orders',
      })) - before.ownSkipped,
    ).toBe(10);
    expect(
      (await metric(service, 'wail_consumer_events_total', { table: 'orders' })) -
        before.restOrders,
    ).toBe(10);
    expect(await metric(service, 'wail_consumer_events_total', { table: 'customers' })).toBe(0);
    expect(
      (await metric(service, 'wail_consumer_intents_skipped_total', {
        reason: 'table-set',
        table: 'customers',
      })) - before.restSkipped,
    ).toBe(10);
    // Skipped intents are neither dead-lettered nor processed.
    expect(await metric(env.consumer, 'wail_consumer_dead_letters_total', {})).toBe(0);
    expect(await metric(service, 'wail_consumer_dead_letters_total', {})).toBe(0);
    expect(await metric(env.consumer, 'wail_consumer_intents_total', { table: 'orders' })).toBe(0);
    expect(await metric(service, 'wail_consumer_intents_total', { table: 'customers' })).toBe(0);
  }, 120_000);

  it('stall only the tables of a stopped group; the restarted group publishes them once', async () => {
    await rest!.stop();
    rest = undefined;
    const customer = await write('customers', customerKey(2001), { name: 'flows' });
    const order = await write('orders', orderKey(2001), { status: 'stalled', total: 1 });
    await waitFor(() => eventsAt('customers', customer.key, customer.ts).length > 0, {
      timeoutMs: 30_000,
      what: 'the customer event while the rest group is down',
    });
    // The customers group has committed past the order's intent without publishing it.
    await waitCaughtUp(customersGroup, env.intentTopic);
    expect(await caughtUp(restGroup, env.intentTopic)).toBe(false);
    expect(env.events.forKey('orders', sameKey(order.key))).toHaveLength(0);

    rest = await restConsumer();
    await waitFor(() => eventsAt('orders', order.key, order.ts).length > 0, {
      timeoutMs: 60_000,
      what: 'the order event once the rest group is back',
    });
    await waitCaughtUp(restGroup, env.intentTopic);
    expect(env.events.forKey('orders', sameKey(order.key))).toHaveLength(1);
    expect(eventsAt('customers', customer.key, customer.ts)).toHaveLength(1);
    expect(await metric(rest, 'wail_consumer_events_total', { table: 'customers' })).toBe(0);
  }, 120_000);

  it('subscribe to the intent topic of a new route only in the group whose set holds its table', async () => {
    await env.mysql.pool.query(
      `CREATE TABLE \`${env.name}\`.audit (id BIGINT PRIMARY KEY, note VARCHAR(100) NULL, wail_ts BIGINT NOT NULL)`,
    );
    await putTableRoutes(env.repository.url, {
      audit: {
        store: 'mysql',
        database: env.name,
        keyColumns: ['id'],
        intentTopic: auditIntentTopic,
      },
    });
    const model = await http('POST', `${env.repository.url}/v1/models/audit/versions`, {
      eventTopic: auditTopic,
      schema: {
        type: 'record',
        name: 'Audit',
        namespace: 'tablesets',
        fields: [
          { name: 'id', type: 'long' },
          { name: 'note', type: ['null', 'string'], default: null },
        ],
      },
    });
    expect(model.status).toBe(200);
    await admin.ensureTopics([{ topic: auditTopic }]);
    auditEvents = new EventReader(env.repository.url);
    await auditEvents.start([auditTopic]);

    const answer = await waitFor(
      async () => {
        const attempt = await env.mutate('audit', {
          op: 'upsert',
          key: { id: 1 },
          values: { note: 'new route' },
        });
        return attempt.status === 200 ? attempt : undefined;
      },
      { timeoutMs: 20_000, what: 'the proxy to know the audit route' },
    );
    await waitFor(
      () =>
        auditEvents!
          .forKey('audit', sameKey({ id: 1 }))
          .some((e) => e.value.version === answer.body!['ts']),
      { timeoutMs: 30_000, what: 'the audit event from the rest group' },
    );
    await waitCaughtUp(restGroup, auditIntentTopic);

    expect(await metric(rest!, 'wail_consumer_events_total', { table: 'audit' })).toBe(1);
    expect(await metric(env.consumer, 'wail_consumer_events_total', { table: 'audit' })).toBe(0);
    expect(
      await metric(env.consumer, 'wail_consumer_intents_skipped_total', { table: 'audit' }),
    ).toBe(0);
    // The customers group never joined the audit topic: it has no offset there.
    const offsets = (await admin.committedOffsets(customersGroup, [auditIntentTopic])).get(
      auditIntentTopic,
    );
    expect([...(offsets?.values() ?? [])].every((offset) => offset < 0n)).toBe(true);
  }, 120_000);
});
