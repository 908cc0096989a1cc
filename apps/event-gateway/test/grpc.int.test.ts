import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { waitFor } from '@wail/testing';
import { GatewayEnvironment, http } from './environment';
import { connect, GrpcSubscription, type ChangeMessage } from './grpc-client';

/**
 * gRPC delivery end to end on the real stack: writes through the proxy,
 * events published by the consumer, changes streamed by the gateway's
 * `wail.v1.EventGateway/Subscribe` to a client that loads the .proto. Per-key
 * order, the Confluent-framed Avro bytes, acks on the stream, resuming after
 * a restart and from a cursor, a newer call taking over, and the statuses of
 * refused calls.
 */
const env = new GatewayEnvironment();
let client: Awaited<ReturnType<typeof connect>>;

beforeAll(async () => {
  await env.start();
  client = await connect(env.gateway.grpcAddress!);
}, 180_000);

afterAll(async () => {
  client?.close();
  await env.stop();
}, 60_000);

const keyOf = (change: ChangeMessage) => `${change.table}:${change.key_json}`;

function versionsByKey(changes: ChangeMessage[]): Map<string, bigint[]> {
  const byKey = new Map<string, bigint[]>();
  for (const change of changes)
    byKey.set(keyOf(change), [...(byKey.get(keyOf(change)) ?? []), BigInt(change.version)]);
  return byKey;
}

it('streams both tables in per-key order, with the JSON fields and the Confluent-framed Avro value', async () => {
  const { id, token } = await env.subscribe({
    name: 'grpc-order',
    tables: ['customers', 'orders'],
    start: 'earliest',
    delivery: 'grpc',
  });
  const stream = new GrpcSubscription(client, { id, token });
  expect((await stream.opened()).get('wail-subscription')).toEqual([id]);

  const last = new Map<string, number>();
  for (let round = 0; round < 6; round++) {
    const mutations = [
      ...Array.from({ length: 8 }, (_, i) => ({
        table: 'customers',
        op: 'upsert',
        key: { id: i },
        values: { name: `c${i}-r${round}`, balance: `${round}.${i}0` },
      })),
      ...Array.from({ length: 4 }, (_, i) => ({
        table: 'orders',
        op: 'upsert',
        key: { customer_id: `cu${i}`, order_id: i },
        values: { status: `s${round}` },
      })),
    ];
    const stamps = await env.mutate(mutations);
    mutations.forEach((m, i) => last.set(`${m.table}:${JSON.stringify(m.key)}`, stamps[i]!));
  }
  const [deleted] = await env.mutate([{ table: 'customers', op: 'delete', key: { id: 7 } }]);
  last.set('customers:{"id":7}', deleted!);

  await waitFor(
    () => {
      const seen = versionsByKey(stream.changes);
      return [...last].every(([key, ts]) => (seen.get(key) ?? []).includes(BigInt(ts)));
    },
    { timeoutMs: 40_000, what: 'every key’s last write streamed' },
  );
  for (const [key, versions] of versionsByKey(stream.changes))
    expect({ key, versions }).toEqual({
      key,
      versions: [...versions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    });

  const customer = stream.changes.findLast((c) => keyOf(c) === 'customers:{"id":3}')!;
  expect({ ...customer, avro: undefined, cursor: undefined }).toEqual({
    table: 'customers',
    key_json: '{"id":3}',
    op: 'OP_UPSERT',
    version: String(last.get('customers:{"id":3}')),
    model_version: 1,
    after_json: JSON.stringify({ id: 3, name: 'c3-r5', balance: '5.30' }),
    avro: undefined,
    cursor: undefined,
  });
  expect(customer.cursor).toMatch(/^c1\./);
  // Confluent wire format: magic byte 0, a schema id, Avro — readable by the standard registry client.
  expect(customer.avro[0]).toBe(0);
  expect(customer.avro.readInt32BE(1)).toBeGreaterThan(0);
  const registry = new SchemaRegistry({ host: env.repository.url });
  expect(await registry.decode(customer.avro)).toMatchObject({
    op: 'UPSERT',
    key: { id: 3 },
    source: { table: 'customers' },
  });

  const removed = stream.changes.findLast((c) => keyOf(c) === 'customers:{"id":7}')!;
  expect(removed).toMatchObject({ op: 'OP_DELETE', after_json: '', version: String(deleted) });
  expect((await stream.cancel()).code).toBe(status.CANCELLED);
}, 90_000);

it('resumes after the cursor acknowledged on the stream when the gateway restarts, and from a resume cursor', async () => {
  const { id, token } = await env.subscribe({
    name: 'grpc-resume',
    tables: ['customers'],
    start: 'latest',
    delivery: 'grpc',
  });
  const first = new GrpcSubscription(client, { id, token });
  await first.opened();
  const stamps = await env.mutate(
    Array.from({ length: 20 }, (_, i) => ({
      table: 'customers',
      op: 'upsert',
      key: { id: 200 + i },
      values: { name: `resume-${i}` },
    })),
  );
  const delivered = await first.waitFor(20);
  const versions = (changes: ChangeMessage[]) => new Set(changes.map((c) => Number(c.version)));
  expect(versions(delivered)).toEqual(new Set(stamps));
  first.ack(delivered[9]!.cursor);
  // The ack has no answer of its own: the subscription's lag shows it committed.
  await waitFor(
    async () => {
      const answer = await http(
        'GET',
        `${env.gatewayUrl}/v1/subscriptions/${id}`,
        undefined,
        token,
      );
      return (answer.body['lag'] as { records: number } | undefined)?.records === 10;
    },
    { timeoutMs: 20_000, what: 'the ack committed (lag 10)' },
  );

  // A stopping gateway ends its calls UNAVAILABLE: the client comes back with what it holds.
  expect(await env.gateway.stop()).toBe(0);
  expect((await first.ended).code).toBe(status.UNAVAILABLE);
  client.close();
  await env.startGateway();
  client = await connect(env.gateway.grpcAddress!);

  const afterAck = new GrpcSubscription(client, { id, token });
  await afterAck.opened();
  await afterAck.waitFor(10);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(afterAck.changes).toHaveLength(10);
  expect(versions(afterAck.changes)).toEqual(versions(delivered.slice(10)));

  // A resume cursor (acknowledged or not) starts after its change; this call takes over.
  const resumed = new GrpcSubscription(client, { id, token, resumeCursor: delivered[14]!.cursor });
  await resumed.opened();
  expect((await afterAck.ended).code).toBe(status.ABORTED);
  expect(afterAck.status!.details).toMatch(/took over/);
  await resumed.waitFor(5);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(resumed.changes).toHaveLength(5);
  expect(versions(resumed.changes)).toEqual(versions(delivered.slice(15)));
  await resumed.cancel();
}, 120_000);

it('refuses a wrong token, another delivery style and malformed requests with their statuses', async () => {
  const grpc = await env.subscribe({
    name: 'grpc-refusals',
    tables: ['customers'],
    start: 'latest',
    delivery: 'grpc',
  });
  const sse = await env.subscribe({
    name: 'sse-not-grpc',
    tables: ['customers'],
    start: 'latest',
    delivery: 'sse',
  });
  const endOf = (open: ConstructorParameters<typeof GrpcSubscription>[1]) =>
    new GrpcSubscription(client, open).ended;

  const wrongToken = await endOf({ id: grpc.id, token: sse.token });
  expect(wrongToken).toMatchObject({ code: status.UNAUTHENTICATED });
  expect(wrongToken.details).toMatch(/^UNAUTHORIZED: /);
  expect((await endOf({ id: grpc.id })).code).toBe(status.UNAUTHENTICATED);
  // An unknown subscription looks like a wrong token to a caller without the right one.
  expect((await endOf({ id: 'sub_aaaaaaaaaaaaaaaaaaaa', token: grpc.token })).code).toBe(
    status.UNAUTHENTICATED,
  );

  const wrongDelivery = await endOf({ id: sse.id, token: sse.token });
  expect(wrongDelivery.code).toBe(status.FAILED_PRECONDITION);
  expect(wrongDelivery.details).toMatch(/^WRONG_DELIVERY: .*not gRPC/);

  const badCursor = await endOf({ id: grpc.id, token: grpc.token, resumeCursor: 'c1.!!' });
  expect(badCursor.code).toBe(status.INVALID_ARGUMENT);
  expect(badCursor.details).toMatch(/^BAD_REQUEST: invalid cursor/);

  const badAck = new GrpcSubscription(client, grpc);
  await badAck.opened();
  badAck.ack('not-a-cursor');
  expect(await badAck.ended).toMatchObject({ code: status.INVALID_ARGUMENT });

  const twice = new GrpcSubscription(client, grpc);
  await twice.opened();
  twice.send({ open: { subscription_id: grpc.id } });
  expect((await twice.ended).details).toMatch(/open already/);
}, 60_000);

it('runs the README’s Node gRPC client: it prints each change and acknowledges it', async () => {
  const path = join(__dirname, '..', 'examples', 'grpc-client.mjs');
  expect(readFileSync(join(__dirname, '..', 'README.md'), 'utf8')).toContain(
    readFileSync(path, 'utf8'),
  );
  const { id, token } = await env.subscribe({
    name: 'grpc-client-example',
    tables: ['customers'],
    delivery: 'grpc',
  });
  const child = spawn('node', [path, id, token], {
    env: { ...process.env, WAIL_GATEWAY_GRPC: env.gateway.grpcAddress },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    // The subscription's start position was fixed at its creation: the client may join after the writes.
    await env.mutate(
      [0, 1, 2].map((i) => ({
        table: 'customers',
        op: 'upsert',
        key: { id: 4000 + i },
        values: { name: `grpc-${i}` },
      })),
    );
    await waitFor(
      () =>
        output.split('\n').filter((line) => line.startsWith('customers OP_UPSERT')).length === 3,
      { timeoutMs: 20_000, what: `three changes printed (output: ${output.slice(0, 300)})` },
    );
    expect(output).toContain('customers OP_UPSERT {"id":4002} {"id":4002,"name":"grpc-2"');
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
}, 60_000);
