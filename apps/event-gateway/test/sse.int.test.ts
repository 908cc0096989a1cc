import { waitFor } from '@wail/testing';
import { GatewayEnvironment, http } from './environment';
import { SseClient } from './sse-client';

/**
 * SSE delivery end to end on the real stack: writes through the proxy, events
 * published by the consumer, changes streamed by the gateway. Per-key order,
 * resuming where the subscriber acknowledged after the gateway is SIGKILLed,
 * Last-Event-ID, redelivery when acks stop, and a slow subscriber beside a
 * fast one.
 */
const env = new GatewayEnvironment();

beforeAll(async () => {
  await env.start({ gatewayEnv: { WAIL_GATEWAY_ACK_TIMEOUT_MS: '3000' } });
}, 180_000);

afterAll(async () => {
  await env.stop();
}, 60_000);

const eventsUrl = (id: string) => `${env.gatewayUrl}/v1/subscriptions/${id}/events`;
const keyOf = (change: Record<string, unknown>) =>
  `${change['table'] as string}:${JSON.stringify(change['key'])}`;

/** Versions per key in stream order. */
function versionsByKey(changes: Record<string, unknown>[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const change of changes) {
    const list = byKey.get(keyOf(change)) ?? [];
    list.push(change['version'] as number);
    byKey.set(keyOf(change), list);
  }
  return byKey;
}

it('streams both tables, every key in order, ending at each key’s last write', async () => {
  const { id, token } = await env.subscribe({
    name: 'order-check',
    tables: ['customers', 'orders'],
    start: 'earliest',
    delivery: 'sse',
  });
  const stream = new SseClient(eventsUrl(id), token);
  await stream.open();
  expect(stream.status).toBe(200);

  const last = new Map<string, number>();
  for (let round = 0; round < 8; round++) {
    const mutations = [
      ...Array.from({ length: 10 }, (_, i) => ({
        table: 'customers',
        op: 'upsert',
        key: { id: i },
        values: { name: `c${i}-r${round}`, balance: `${round}.${i}0` },
      })),
      ...Array.from({ length: 5 }, (_, i) => ({
        table: 'orders',
        op: 'upsert',
        key: { customer_id: `cu${i}`, order_id: i },
        values: { status: `s${round}` },
      })),
    ];
    const stamps = await env.mutate(mutations);
    mutations.forEach((mutation, i) =>
      last.set(`${mutation.table}:${JSON.stringify(mutation.key)}`, stamps[i]!),
    );
  }
  await waitFor(
    () => {
      const seen = versionsByKey(stream.changes());
      return [...last].every(([key, ts]) => (seen.get(key) ?? []).includes(ts));
    },
    { timeoutMs: 40_000, what: 'every key’s last write streamed' },
  );
  for (const [key, versions] of versionsByKey(stream.changes())) {
    expect({ key, versions }).toEqual({ key, versions: [...versions].sort((a, b) => a - b) });
  }
  const changes = stream.changes();
  const customer = changes.findLast((change) => keyOf(change) === 'customers:{"id":3}')!;
  expect(customer).toEqual({
    table: 'customers',
    key: { id: 3 },
    op: 'UPSERT',
    version: last.get('customers:{"id":3}'),
    modelVersion: 1,
    after: { id: 3, name: 'c3-r7', balance: '7.30' },
  });
  expect(
    stream.events.every((event) => event.event === 'change' && event.id.startsWith('c1.')),
  ).toBe(true);
  await stream.close();
}, 90_000);

it('resumes after the last acknowledged cursor when the gateway is SIGKILLed, and from Last-Event-ID', async () => {
  const { id, token } = await env.subscribe({
    name: 'resume-check',
    tables: ['customers'],
    start: 'latest',
    delivery: 'sse',
  });
  const first = new SseClient(eventsUrl(id), token);
  await first.open();
  const stamps = await env.mutate(
    Array.from({ length: 30 }, (_, i) => ({
      table: 'customers',
      op: 'upsert',
      key: { id: 100 + i },
      values: { name: `resume-${i}` },
    })),
  );
  const events = await first.waitFor(30);
  expect(new Set(first.changes().map((change) => change['version']))).toEqual(new Set(stamps));
  const ack = await http(
    'POST',
    `${env.gatewayUrl}/v1/subscriptions/${id}/ack`,
    { cursor: events[14]!.id },
    token,
  );
  expect(ack.status).toBe(204);

  await env.gateway.kill();
  await first.close();
  await env.startGateway();

  // A new stream (no Last-Event-ID) starts after the acknowledged cursor: exactly changes 16–30.
  const afterAck = new SseClient(eventsUrl(id), token);
  await afterAck.open();
  await afterAck.waitFor(15);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const versions = (client: SseClient) => client.changes().map((change) => change['version']);
  const expected = first.changes().map((change) => change['version']);
  expect(new Set(versions(afterAck))).toEqual(new Set(expected.slice(15)));
  expect(afterAck.events).toHaveLength(15);
  await afterAck.close();

  // Last-Event-ID: the changes after that one, acknowledged or not.
  const fromId = new SseClient(eventsUrl(id), token, { lastEventId: events[19]!.id });
  await fromId.open();
  await fromId.waitFor(10);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(new Set(versions(fromId))).toEqual(new Set(expected.slice(20)));
  expect(fromId.events).toHaveLength(10);
  await fromId.close();
}, 120_000);

it('redelivers what was not acknowledged within the ack timeout, and stops once it is', async () => {
  const { id, token } = await env.subscribe({
    name: 'redelivery-check',
    tables: ['customers'],
    start: 'latest',
    delivery: 'sse',
  });
  const stream = new SseClient(eventsUrl(id), token);
  await stream.open();
  const stamps = await env.mutate(
    Array.from({ length: 5 }, (_, i) => ({
      table: 'customers',
      op: 'upsert',
      key: { id: 200 + i },
      values: { name: `redeliver-${i}` },
    })),
  );
  await stream.waitFor(5);
  // No ack: after WAIL_GATEWAY_ACK_TIMEOUT_MS (3 s) the same five come again.
  const again = await stream.waitFor(10, 15_000);
  const versions = again.map((event) => (JSON.parse(event.data) as { version: number }).version);
  expect(new Set(versions.slice(0, 5))).toEqual(new Set(stamps));
  expect(new Set(versions.slice(5, 10))).toEqual(new Set(stamps));
  const acked = await http(
    'POST',
    `${env.gatewayUrl}/v1/subscriptions/${id}/ack`,
    { cursor: again[9]!.id },
    token,
  );
  expect(acked.status).toBe(204);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  expect(stream.events).toHaveLength(10);
  const listed = await http('GET', `${env.gatewayUrl}/v1/subscriptions/${id}`, undefined, token);
  expect(listed.body).toMatchObject({ id, lag: { records: 0, streaming: true } });
  await stream.close();
}, 60_000);

it('keeps a fast subscriber on time beside one that reads slowly', async () => {
  const fast = await env.subscribe({ name: 'fast', tables: ['customers'], delivery: 'sse' });
  const slow = await env.subscribe({ name: 'slow', tables: ['customers'], delivery: 'sse' });
  const fastStream = new SseClient(eventsUrl(fast.id), fast.token);
  const slowStream = new SseClient(eventsUrl(slow.id), slow.token, { delayMs: 500 });
  await fastStream.open();
  await slowStream.open();
  for (let round = 0; round < 4; round++)
    await env.mutate(
      Array.from({ length: 50 }, (_, i) => ({
        table: 'customers',
        op: 'upsert',
        key: { id: 1000 + round * 50 + i },
        values: { name: 'x'.repeat(90) },
      })),
    );
  await fastStream.waitFor(200, 30_000);
  expect(slowStream.events.length).toBeLessThan(100);
  await fastStream.close();
  await slowStream.close();
}, 60_000);
