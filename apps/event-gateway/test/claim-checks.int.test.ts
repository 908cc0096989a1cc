import { randomBytes } from 'node:crypto';
import { removeBucket, stackEnv, waitFor } from '@wail/testing';
import { GatewayEnvironment } from './environment';
import { SseClient } from './sse-client';

/**
 * Issue 12 item 2, gateway side: a row too large for the bus is published
 * with a claim check (the consumer stores it in s3proxy); an SSE subscriber
 * gets it as a normal change, the row as `after`, resolved by the gateway.
 */
const s3 = {
  WAIL_S3_ENDPOINT: stackEnv().s3Endpoint,
  WAIL_S3_REGION: stackEnv().s3Region,
  WAIL_S3_BUCKET: `wail-gw-${randomBytes(4).toString('hex')}`,
  WAIL_S3_ACCESS_KEY_ID: stackEnv().s3AccessKeyId,
  WAIL_S3_SECRET_ACCESS_KEY: stackEnv().s3SecretAccessKey,
};
const env = new GatewayEnvironment();

beforeAll(async () => {
  await env.start({ consumerEnv: s3, gatewayEnv: s3 });
}, 180_000);

afterAll(async () => {
  await env.stop();
  await removeBucket(s3.WAIL_S3_BUCKET);
}, 60_000);

it('delivers a claim-checked 5 MB row over SSE as a change with after, in order with the small ones', async () => {
  const { id, token } = await env.subscribe({
    name: 'claims',
    tables: ['orders'],
    start: 'earliest',
    delivery: 'sse',
  });
  const stream = new SseClient(`${env.gatewayUrl}/v1/subscriptions/${id}/events`, token);
  await stream.open();
  const status = randomBytes(2.5 * 1024 * 1024).toString('hex');
  const key = { customer_id: 'big', order_id: 1 };
  const [before] = await env.mutate([
    { table: 'orders', op: 'upsert', key, values: { status: 'new' } },
  ]);
  // Each next write only once the one before streamed: the consumer publishes
  // a key's latest state, so a later write read back first would skip it.
  await waitFor(() => stream.changes().some((change) => change['version'] === before), {
    timeoutMs: 60_000,
    what: 'the small write streamed',
  });
  const [big] = await env.mutate([{ table: 'orders', op: 'upsert', key, values: { status } }]);
  await waitFor(() => stream.changes().some((change) => change['version'] === big), {
    timeoutMs: 60_000,
    what: 'the claim-checked write streamed',
  });
  const [after] = await env.mutate([
    { table: 'orders', op: 'upsert', key, values: { status: 'done' } },
  ]);
  await waitFor(() => stream.changes().some((change) => change['version'] === after), {
    timeoutMs: 60_000,
    what: 'the last write streamed',
  });
  const changes = stream.changes();
  const versions = changes.map((change) => change['version'] as number);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  const claimed = changes.find((change) => change['version'] === big);
  expect(claimed).toEqual({
    table: 'orders',
    key,
    op: 'UPSERT',
    version: big,
    modelVersion: 1,
    after: { customer_id: 'big', order_id: 1, status },
  });
  expect(versions).toContain(before);
  await stream.close();
}, 120_000);
