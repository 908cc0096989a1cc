import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@wail/testing';
import { GatewayEnvironment, http } from './environment';

/**
 * Webhook delivery end to end: signed batches a receiver verifies, a
 * receiver that answers 500 before 200 (retried, never reordered), a gateway
 * SIGKILLed mid-stream, and dead letters listed and re-driven.
 */
const env = new GatewayEnvironment();
const SECRET = 'a-webhook-secret-of-some-length';

interface Call {
  body: string;
  signature: string;
  redrive: boolean;
  status: number;
}

/** A webhook receiver: answers what `answer()` says, verifies every signature, records every call. */
class Receiver {
  readonly calls: Call[] = [];
  answer: (call: number) => number = () => 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const status = this.answer(this.calls.length);
        this.calls.push({
          body,
          signature: String(request.headers['x-wail-signature'] ?? ''),
          redrive: request.headers['x-wail-redrive'] === 'true',
          status,
        });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  /** The changes of the calls the receiver took (2xx), in order. */
  taken(filter: (call: Call) => boolean = () => true): Record<string, unknown>[] {
    return this.calls
      .filter((call) => call.status < 300 && filter(call))
      .flatMap((call) => (JSON.parse(call.body) as { changes: Record<string, unknown>[] }).changes);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const verified = (call: Call) => {
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', SECRET).update(call.body).digest('hex')}`,
  );
  const given = Buffer.from(call.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  await env.start({
    gatewayEnv: {
      WAIL_GATEWAY_WEBHOOK_BACKOFF_MS: '50',
      WAIL_GATEWAY_WEBHOOK_MAX_BACKOFF_MS: '200',
      WAIL_GATEWAY_WEBHOOK_MAX_ATTEMPTS: '4',
      WAIL_GATEWAY_WEBHOOK_BATCH: '10',
    },
  });
}, 180_000);

afterAll(async () => {
  await env.stop();
  await receiver.stop();
}, 60_000);

const customers = (from: number, count: number, name: string) =>
  Array.from({ length: count }, (_, i) => ({
    table: 'customers',
    op: 'upsert',
    key: { id: from + (i % 10) },
    values: { name: `${name}-${i}` },
  }));

it('delivers signed batches, retrying a 500 without reordering a key, across a SIGKILLed gateway', async () => {
  // The first two calls fail: the batch is retried, the same body each time.
  receiver.answer = (call) => (call < 2 ? 500 : 200);
  const { id } = await env.subscribe({
    name: 'hook',
    tables: ['customers', 'orders'],
    start: 'latest',
    delivery: 'webhook',
    webhook: { url: receiver.url, secret: SECRET },
  });
  const last = new Map<string, number>();
  const record = (mutations: { table: string; key: object }[], stamps: number[]) =>
    mutations.forEach((m, i) => last.set(`${m.table}:${JSON.stringify(m.key)}`, stamps[i]!));
  const first = [
    ...customers(0, 30, 'a'),
    {
      table: 'orders',
      op: 'upsert',
      key: { customer_id: 'k', order_id: 1 },
      values: { status: 'new' },
    },
  ];
  record(first, await env.mutate(first));
  const allTaken = () => {
    const seen = new Map<string, number[]>();
    for (const change of receiver.taken()) {
      const key = `${change['table'] as string}:${JSON.stringify(change['key'])}`;
      seen.set(key, [...(seen.get(key) ?? []), change['version'] as number]);
    }
    return { seen, done: [...last].every(([key, ts]) => (seen.get(key) ?? []).includes(ts)) };
  };
  await waitFor(() => allTaken().done, { timeoutMs: 30_000, what: 'the first writes delivered' });
  expect(receiver.calls[0]!.status).toBe(500);
  expect(receiver.calls[1]!.body).toBe(receiver.calls[0]!.body);
  expect(receiver.calls[2]!.body).toBe(receiver.calls[0]!.body);

  await env.gateway.kill();
  const second = customers(0, 30, 'b');
  record(second, await env.mutate(second));
  await env.startGateway();
  await waitFor(() => allTaken().done, { timeoutMs: 40_000, what: 'the writes after the kill' });

  expect(receiver.calls.every(verified)).toBe(true);
  for (const [key, versions] of allTaken().seen)
    expect({ key, versions }).toEqual({ key, versions: [...versions].sort((a, b) => a - b) });
  const bodies = receiver.calls.map((call) => JSON.parse(call.body) as Record<string, unknown>);
  expect(
    bodies.every((body) => body['subscription'] === id && typeof body['cursor'] === 'string'),
  ).toBe(true);
  expect(bodies.every((body) => (body['changes'] as unknown[]).length <= 10)).toBe(true);
}, 120_000);

it('dead-letters a batch every attempt of which failed, goes on, and re-drives it on demand', async () => {
  const other = new Receiver();
  await other.start();
  try {
    let failing = true;
    other.answer = () => (failing ? 503 : 200);
    const { id, token } = await env.subscribe({
      name: 'hook-dlq',
      tables: ['customers'],
      start: 'latest',
      delivery: 'webhook',
      webhook: { url: other.url, secret: SECRET },
    });
    const stamps = await env.mutate(customers(500, 5, 'dead'));
    // A failing receiver delays no other: the first test's subscription gets these at once.
    await waitFor(
      () => stamps.every((ts) => receiver.taken().some((change) => change['version'] === ts)),
      { timeoutMs: 10_000, what: 'the healthy webhook served while the other one fails' },
    );
    expect(other.calls.filter((call) => call.status === 200)).toEqual([]);
    const letters = async () =>
      (await http('GET', `${env.gatewayUrl}/v1/subscriptions/${id}/dead-letters`, undefined, token))
        .body['deadLetters'] as { change: { version: number }; attempts: number; error: string }[];
    await waitFor(async () => (await letters()).length === 5, {
      timeoutMs: 30_000,
      what: 'five dead letters',
    });
    const dead = await letters();
    expect(new Set(dead.map((letter) => letter.change.version))).toEqual(new Set(stamps));
    expect(dead.every((letter) => letter.attempts === 4 && letter.error === 'HTTP 503')).toBe(true);
    expect(other.calls.filter((call) => call.status === 503).length).toBeGreaterThanOrEqual(4);

    // Delivery goes on past the dead letters once the receiver answers again.
    failing = false;
    const later = await env.mutate(customers(600, 3, 'alive'));
    await waitFor(
      () => later.every((ts) => other.taken().some((change) => change['version'] === ts)),
      { timeoutMs: 30_000, what: 'later writes delivered' },
    );
    const listed = await http('GET', `${env.gatewayUrl}/v1/subscriptions`);
    const mine = (listed.body['subscriptions'] as { id: string; deadLetters: number }[]).find(
      (s) => s.id === id,
    );
    expect(mine?.deadLetters).toBe(5);

    const redriven = await http(
      'POST',
      `${env.gatewayUrl}/v1/subscriptions/${id}/dead-letters/redrive`,
    );
    expect(redriven).toEqual({ status: 200, body: { redelivered: 5, remaining: 0 } });
    expect(new Set(other.taken((call) => call.redrive).map((change) => change['version']))).toEqual(
      new Set(stamps),
    );
    expect(other.calls.filter((call) => call.redrive).every(verified)).toBe(true);
    expect(await letters()).toEqual([]);
  } finally {
    await other.stop();
  }
}, 90_000);
