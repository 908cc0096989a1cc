import { GatewayEnvironment, http } from './environment';
import { SseClient } from './sse-client';

/**
 * The unacknowledged-changes bound: a stream delivers at most
 * WAIL_GATEWAY_MAX_UNACKED changes past its last ack, then waits — every
 * partition of it — until the subscriber acknowledges.
 */
const env = new GatewayEnvironment();

beforeAll(async () => {
  await env.start({ gatewayEnv: { WAIL_GATEWAY_MAX_UNACKED: '5' } });
}, 180_000);

afterAll(async () => {
  await env.stop();
}, 60_000);

it('holds a stream at WAIL_GATEWAY_MAX_UNACKED changes until they are acknowledged', async () => {
  const { id, token } = await env.subscribe({
    name: 'bounded',
    tables: ['customers'],
    delivery: 'sse',
  });
  const stream = new SseClient(`${env.gatewayUrl}/v1/subscriptions/${id}/events`, token);
  await stream.open();
  // 30 keys: the changes spread over every partition of the event topic.
  const stamps = await env.mutate(
    Array.from({ length: 30 }, (_, i) => ({
      table: 'customers',
      op: 'upsert',
      key: { id: i },
      values: { name: `bounded-${i}` },
    })),
  );
  await stream.waitFor(5);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect(stream.events).toHaveLength(5);

  // Each ack of the last change releases five more, until all thirty came.
  for (let round = 1; stream.events.length < 30; round++) {
    expect(round).toBeLessThanOrEqual(6);
    const acked = await http(
      'POST',
      `${env.gatewayUrl}/v1/subscriptions/${id}/ack`,
      { cursor: stream.events.at(-1)!.id },
      token,
    );
    expect(acked.status).toBe(204);
    await stream.waitFor(Math.min(30, (round + 1) * 5), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stream.events.length).toBe(Math.min(30, (round + 1) * 5));
  }
  expect(new Set(stream.changes().map((change) => change['version']))).toEqual(new Set(stamps));
  await stream.close();
}, 90_000);
