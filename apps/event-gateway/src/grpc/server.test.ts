import { connect as connectHttp2 } from 'node:http2';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type Client,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { silentLogger } from '@wail/telemetry';
import type { Delivery, DeliverySink, SubscriptionReader } from '../delivery/subscription-reader';
import type { Gateway } from '../gateway';
import { GatewayAuth } from '../http/auth';
import { newToken, type Subscription } from '../subscriptions/subscription';
import { LOADER_OPTIONS, PROTO_FILE, protoRoot } from './proto';
import { startGrpcServer, type RunningGrpcServer } from './server';
import type { ChangeMessage, SubscribeRequest } from './subscribe-call';

/**
 * The gRPC adapter against a fake gateway core (the stream, takeover and
 * acks are the core's, tested end to end in test/grpc.int.test.ts): what it
 * does with the call itself — backpressure, ends, acks in order, bounds.
 */
const { token, hash } = newToken();
const subscription: Subscription = {
  id: 'sub_aaaaaaaaaaaaaaaaaaaa',
  name: 'fake',
  tables: ['customers'],
  start: 'latest',
  delivery: 'grpc',
  tokenHash: hash,
  createdAt: new Date(0).toISOString(),
};

class FakeGateway {
  sink: DeliverySink | undefined;
  end: (() => void) | undefined;
  readonly reader = { fake: 'reader' } as unknown as SubscriptionReader;
  readonly acks: string[] = [];
  readonly closed: SubscriptionReader[] = [];

  get(id: string) {
    return id === subscription.id ? subscription : undefined;
  }

  async openStream(_id: string, sink: DeliverySink, end: () => void) {
    this.sink = sink;
    this.end = end;
    return this.reader;
  }

  async closeStream(_id: string, reader: SubscriptionReader) {
    this.closed.push(reader);
  }

  async ack(_id: string, cursor: string) {
    // Slow, so that acks overlap if they are not applied one at a time.
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.acks.push(cursor);
  }
}

interface Stub extends Client {
  Subscribe(metadata: Metadata): ClientDuplexStream<SubscribeRequest, ChangeMessage>;
}
const definition = loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
const Stub = (
  loadPackageDefinition(definition) as unknown as {
    wail: { v1: { EventGateway: new (address: string, creds: unknown) => Stub } };
  }
).wail.v1.EventGateway;

let gateway: FakeGateway;
let server: RunningGrpcServer;
let client: Stub;

beforeEach(async () => {
  gateway = new FakeGateway();
  server = await startGrpcServer({
    gateway: gateway as unknown as Gateway,
    auth: new GatewayAuth(undefined),
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    openTimeoutMs: 500,
    stopTimeoutMs: 1000,
  });
  client = new Stub(`127.0.0.1:${server.port}`, credentials.createInsecure());
});

afterEach(async () => {
  client.close();
  await server.stop();
});

function subscribe(open = true) {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const call = client.Subscribe(metadata);
  call.on('error', () => undefined);
  const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  if (open) call.write({ open: { subscription_id: subscription.id, resume_cursor: '' } });
  return { call, ended };
}

async function opened(call: ClientDuplexStream<SubscribeRequest, ChangeMessage>) {
  await new Promise((resolve) => call.once('metadata', resolve));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

const delivery = (n: number, bytes = 0): Delivery => ({
  change: {
    table: 'customers',
    key: { id: n },
    op: 'UPSERT',
    version: 1_700_000_000_000_000 + n,
    modelVersion: 1,
    after: { id: n, name: 'x'.repeat(bytes) },
  },
  avro: Buffer.from([0, 0, 0, 0, 7, n % 256]),
  cursor: `c1.${n}`,
  topic: 't',
  partition: 0,
  offset: BigInt(n),
});

/** `SubscribeRequest{open{subscription_id}}` in gRPC's frame, by hand: the raw client below has no codec. */
function openFrame(id: string): Buffer {
  const inner = Buffer.concat([Buffer.from([0x0a, id.length]), Buffer.from(id)]);
  const message = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

it('holds delivery while the client does not read, and goes on once it does', async () => {
  // A plain HTTP/2 client that really stops reading (grpc-js clients buffer whatever arrives).
  const session = connectHttp2(`http://127.0.0.1:${server.port}`);
  const request = session.request({
    ':method': 'POST',
    ':path': '/wail.v1.EventGateway/Subscribe',
    'content-type': 'application/grpc',
    te: 'trailers',
    authorization: `Bearer ${token}`,
  });
  request.write(openFrame(subscription.id));
  await new Promise((resolve) => request.once('response', resolve));
  request.pause();
  let handed = 0;
  const deliveries = (async () => {
    for (let n = 1; n <= 100; n++) {
      await gateway.sink!.deliver(delivery(n, 64 * 1024));
      handed = n;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 500));
  // 100 changes of 64 KiB do not fit in the HTTP/2 window and the call's buffer: delivery waits.
  expect(handed).toBeGreaterThan(0);
  expect(handed).toBeLessThan(100);
  let bytes = 0;
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.resume();
  await deliveries;
  expect(handed).toBe(100);
  await until(() => bytes > 100 * 64 * 1024);
  request.close();
  session.close();
});

it('sends each change with its fields, in order', async () => {
  const { call } = subscribe();
  await opened(call);
  const received: ChangeMessage[] = [];
  call.on('data', (change: ChangeMessage) => received.push(change));
  for (let n = 1; n <= 50; n++) await gateway.sink!.deliver(delivery(n));
  await until(() => received.length === 50);
  expect(received.map((change) => change.cursor)).toEqual(
    Array.from({ length: 50 }, (_, i) => `c1.${i + 1}`),
  );
  expect(received[0]).toEqual({
    cursor: 'c1.1',
    table: 'customers',
    key_json: '{"id":1}',
    op: 'OP_UPSERT',
    version: '1700000000000001',
    model_version: 1,
    after_json: '{"id":1,"name":""}',
    avro: Buffer.from([0, 0, 0, 0, 7, 1]),
  });
  call.cancel();
});

it('applies acks one at a time, in the order sent', async () => {
  const { call } = subscribe();
  await opened(call);
  for (let n = 1; n <= 5; n++) call.write({ ack: { cursor: `c1.${n}` } });
  await until(() => gateway.acks.length === 5);
  expect(gateway.acks).toEqual(['c1.1', 'c1.2', 'c1.3', 'c1.4', 'c1.5']);
  call.cancel();
});

it('closes the stream in the gateway when the client cancels', async () => {
  const { call, ended } = subscribe();
  await opened(call);
  call.cancel();
  expect((await ended).code).toBe(status.CANCELLED);
  await until(() => gateway.closed.length === 1);
  expect(gateway.closed).toEqual([gateway.reader]);
});

it('ends the call ABORTED when the gateway ends its stream (another took over)', async () => {
  const { call, ended } = subscribe();
  await opened(call);
  gateway.end!();
  const answer = await ended;
  expect(answer.code).toBe(status.ABORTED);
  expect(answer.details).toMatch(/took over/);
});

it('ends a call that sends no open in time, and one that acks first, INVALID_ARGUMENT', async () => {
  const silent = subscribe(false);
  expect(await silent.ended).toMatchObject({ code: status.INVALID_ARGUMENT });
  const ackFirst = subscribe(false);
  ackFirst.call.write({ ack: { cursor: 'c1.1' } });
  const answer = await ackFirst.ended;
  expect(answer.code).toBe(status.INVALID_ARGUMENT);
  expect(answer.details).toBe('BAD_REQUEST: the first request must be open, not ack');
  expect(gateway.sink).toBeUndefined();
});

it('refuses a request larger than any cursor', async () => {
  const { call, ended } = subscribe();
  await opened(call);
  call.write({ ack: { cursor: 'x'.repeat(64 * 1024) } });
  expect((await ended).code).toBe(status.RESOURCE_EXHAUSTED);
  expect(gateway.acks).toEqual([]);
});

it('ends open calls UNAVAILABLE when it stops', async () => {
  const { call, ended } = subscribe();
  await opened(call);
  await server.stop();
  expect((await ended).code).toBe(status.UNAVAILABLE);
  expect(gateway.closed).toEqual([gateway.reader]);
});
