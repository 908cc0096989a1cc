import { loadConfig } from './config';

describe('the gateway configuration', () => {
  it('listens on 127.0.0.1:8083 (gRPC :8084) and reads the main cluster by default', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8083 });
    expect(config.grpc).toEqual({ host: '127.0.0.1', port: 8084 });
    expect(config.cluster).toBe('main');
    expect(config.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.stream).toEqual({ maxUnacked: 1000, ackTimeoutMs: 30_000, heartbeatMs: 15_000 });
  });

  it('refuses to listen beyond loopback without an admin token', () => {
    expect(() => loadConfig({ WAIL_GATEWAY_HOST: '0.0.0.0' })).toThrow(/WAIL_GATEWAY_ADMIN_TOKEN/);
    expect(
      loadConfig({ WAIL_GATEWAY_HOST: '0.0.0.0', WAIL_GATEWAY_ADMIN_TOKEN: 'x'.repeat(16) })
        .adminToken,
    ).toBe('x'.repeat(16));
  });

  it('refuses a cluster WAIL_KAFKA_CLUSTERS does not name', () => {
    expect(() => loadConfig({ WAIL_GATEWAY_CLUSTER: 'hot' })).toThrow(/WAIL_GATEWAY_CLUSTER/);
    expect(
      loadConfig({ WAIL_GATEWAY_CLUSTER: 'hot', WAIL_KAFKA_CLUSTERS: 'hot=127.0.0.1:9192' })
        .brokers,
    ).toEqual(['127.0.0.1:9192']);
  });

  it.each([
    ['WAIL_GATEWAY_MAX_UNACKED', '0'],
    ['WAIL_GATEWAY_WEBHOOK_BATCH', '1001'],
    ['WAIL_GATEWAY_ADMIN_TOKEN', 'short'],
    ['WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC', 'bad topic'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
