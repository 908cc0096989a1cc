import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

it('counts the ack timeout from the first delivery, not from when the stream opened', async () => {
  const { id, token } = await env.subscribe({
    name: 'idle-then-busy',
    tables: ['customers'],
    start: 'latest',
    delivery: 'sse',
  });
  const stream = new SseClient(eventsUrl(id), token);
  await stream.open();
  // Longer than the ack timeout (3 s) with nothing to deliver: nothing is owed yet.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const stamps = await env.mutate(
    Array.from({ length: 5 }, (_, i) => ({
      table: 'customers',
      op: 'upsert',
      key: { id: 300 + i },
      values: { name: `idle-${i}` },
    })),
  );
  const rewinds = async () =>
    Number(
      /wail_gateway_rewinds_total\{service="event-gateway"\} (\d+)/.exec(
        await (await fetch(`${env.gatewayUrl}/metrics`)).text(),
      )?.[1] ?? 0,
    );
  const before = await rewinds();
  const events = await stream.waitFor(5);
  // Well within the ack timeout of the first delivery: no rewind, nothing comes again.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await rewinds()).toBe(before);
  expect(new Set(stream.changes().map((change) => change['version']))).toEqual(new Set(stamps));
  expect(stream.events).toHaveLength(5);
  const acked = await http(
    'POST',
    `${env.gatewayUrl}/v1/subscriptions/${id}/ack`,
    { cursor: events[4]!.id },
    token,
  );
  expect(acked.status).toBe(204);
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

it('answers hostile or mistaken requests with a clear error and changes nothing', async () => {
  const post = (body: unknown) => http('POST', `${env.gatewayUrl}/v1/subscriptions`, body);
  const base = { name: 'hostile', tables: ['customers'], delivery: 'sse' };
  const refused = async (body: unknown, status: number, code: string, message: RegExp) => {
    const answer = await post(body);
    expect({
      status: answer.status,
      code: (answer.body['error'] as { code: string })?.code,
    }).toEqual({
      status,
      code,
    });
    expect((answer.body['error'] as { message: string }).message).toMatch(message);
  };
  await refused({ ...base, tables: ['nope'] }, 404, 'UNKNOWN_TABLE', /"nope"/);
  await refused({ ...base, extra: 1 }, 400, 'BAD_REQUEST', /additional/);
  await refused({ ...base, name: 'has space' }, 400, 'BAD_REQUEST', /name/);
  await refused({ ...base, tables: [] }, 400, 'BAD_REQUEST', /tables/);
  await refused(
    { ...base, tables: Array.from({ length: 65 }, (_, i) => `t${i}`) },
    400,
    'BAD_REQUEST',
    /tables/,
  );
  await refused({ ...base, tables: ["x'; DROP TABLE y"] }, 400, 'BAD_REQUEST', /tables/);
  await refused({ ...base, delivery: 'pigeon' }, 400, 'BAD_REQUEST', /delivery/);
  await refused({ ...base, delivery: 'webhook' }, 400, 'BAD_REQUEST', /webhook.url/);
  await refused(
    {
      ...base,
      delivery: 'webhook',
      webhook: { url: 'http://169.254.169.254/x', secret: 's'.repeat(16) },
    },
    400,
    'BAD_REQUEST',
    /link-local/,
  );
  await refused(
    { ...base, delivery: 'webhook', webhook: { url: 'http://127.0.0.1/x', secret: 'short' } },
    400,
    'BAD_REQUEST',
    /secret/,
  );
  await refused(
    { ...base, webhook: { url: 'http://127.0.0.1/x', secret: 's'.repeat(16) } },
    400,
    'BAD_REQUEST',
    /takes no webhook/,
  );
  const body = await fetch(`${env.gatewayUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...base, name: 'x'.repeat(70_000) }),
  });
  expect(body.status).toBe(413);

  const { id, token } = await env.subscribe(base);
  await refused(base, 409, 'SUBSCRIPTION_EXISTS', /hostile/);
  const events = (headers: Record<string, string>, query = '') =>
    fetch(`${env.gatewayUrl}/v1/subscriptions/${id}/events${query}`, { headers });
  expect((await events({})).status).toBe(401);
  expect((await events({ authorization: 'Bearer wrong' })).status).toBe(401);
  expect(
    (await events({ authorization: `Bearer ${token}`, 'last-event-id': 'garbage' })).status,
  ).toBe(400);
  expect((await events({ authorization: `Bearer ${token}` }, '?cursor=c1.%7B')).status).toBe(400);
  expect(
    (
      await http(
        'POST',
        `${env.gatewayUrl}/v1/subscriptions/${id}/ack`,
        { cursor: 'c1.AAAA' },
        token,
      )
    ).status,
  ).toBe(400);
  // Another subscription's token reads nothing of this one; an unknown id looks the same.
  const other = await env.subscribe({ ...base, name: 'hostile-2' });
  expect((await events({ authorization: `Bearer ${other.token}` })).status).toBe(401);
  expect(
    (
      await http(
        'GET',
        `${env.gatewayUrl}/v1/subscriptions/sub_aaaaaaaaaaaaaaaaaaaa`,
        undefined,
        token,
      )
    ).status,
  ).toBe(401);
  const webhook = await env.subscribe({
    ...base,
    name: 'hostile-hook',
    delivery: 'webhook',
    webhook: { url: 'http://127.0.0.1:9/none', secret: 's'.repeat(16) },
  });
  const wrong = await events({ authorization: `Bearer ${webhook.token}` });
  expect(wrong.status).toBe(401);
  const wrongStyle = await fetch(`${env.gatewayUrl}/v1/subscriptions/${webhook.id}/events`, {
    headers: { authorization: `Bearer ${webhook.token}` },
  });
  expect(wrongStyle.status).toBe(409);
  expect(((await wrongStyle.json()) as { error: { code: string } }).error.code).toBe(
    'WRONG_DELIVERY',
  );

  for (const sub of [id, other.id, webhook.id])
    expect((await http('DELETE', `${env.gatewayUrl}/v1/subscriptions/${sub}`)).status).toBe(204);
  expect((await http('DELETE', `${env.gatewayUrl}/v1/subscriptions/${id}`)).status).toBe(404);
  expect((await events({ authorization: `Bearer ${token}` })).status).toBe(401);
}, 60_000);

it('is ready, names its checks, and counts what it delivered', async () => {
  const ready = await http('GET', `${env.gatewayUrl}/readyz`);
  expect(ready.status).toBe(200);
  expect(Object.keys(ready.body['checks'] as object).sort()).toEqual(['kafka', 'repository']);
  const metrics = await (await fetch(`${env.gatewayUrl}/metrics`)).text();
  expect(metrics).toMatch(
    /wail_gateway_changes_delivered_total\{delivery="sse",service="event-gateway"\} [1-9]/,
  );
  expect(metrics).toMatch(/wail_gateway_rewinds_total\{service="event-gateway"\} [1-9]/);
  expect(metrics).toContain('wail_gateway_delivery_delay_seconds_bucket');
});

it.each([
  ['node', 'sse-client.mjs'],
  ['python3', 'sse-client.py'],
])(
  'runs the README’s %s client: it prints each change and acknowledges it',
  async (program, file) => {
    const path = join(__dirname, '..', 'examples', file);
    const source = readFileSync(path, 'utf8');
    expect(readFileSync(join(__dirname, '..', 'README.md'), 'utf8')).toContain(source);
    const { id, token } = await env.subscribe({
      name: `client-${program}`,
      tables: ['customers'],
      delivery: 'sse',
    });
    const child = spawn(program, [path, id, token], {
      env: { ...process.env, WAIL_GATEWAY_URL: env.gatewayUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await env.mutate(
        [0, 1, 2].map((i) => ({
          table: 'customers',
          op: 'upsert',
          key: { id: 3000 + i },
          values: { name: `${program}-${i}` },
        })),
      );
      await waitFor(
        () => output.split('\n').filter((line) => line.startsWith('customers UPSERT')).length === 3,
        {
          timeoutMs: 20_000,
          what: `three changes printed by the ${program} client (output: ${output.slice(0, 300)})`,
        },
      );
      // Node's JSON.stringify writes no space after a colon, Python's json.dumps does.
      expect(output).toMatch(new RegExp(`"name": ?"${program}-2"`));
      await waitFor(
        async () =>
          (
            (await http('GET', `${env.gatewayUrl}/v1/subscriptions/${id}`, undefined, token)).body[
              'lag'
            ] as { records: number }
          ).records === 0,
        { timeoutMs: 10_000, what: 'every change acknowledged by the client' },
      );
    } finally {
      child.kill();
    }
  },
  60_000,
);
