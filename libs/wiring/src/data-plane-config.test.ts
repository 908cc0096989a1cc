import { Type } from '@sinclair/typebox';
import { loadEnv } from '@wail/config';
import { DataPlaneEnv, dataPlaneSettings } from './data-plane-config';

const load = (env: Record<string, string>) =>
  dataPlaneSettings(loadEnv(Type.Object(DataPlaneEnv), env));

describe('dataPlaneSettings', () => {
  it('maps the defaults of Kafka, the stores, the repository and tracing', () => {
    const settings = load({});
    expect(settings.logLevel).toBe('info');
    expect(settings.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      clusters: new Map([['main', ['127.0.0.1:9092']]]),
    });
    expect(settings.stores.stores).toEqual(['cassandra', 'mysql', 'postgres', 'redis']);
    expect(settings.repository).toEqual({
      url: 'http://127.0.0.1:8081',
      token: undefined,
      refreshMs: 1000,
    });
    expect(settings.exportTraces).toBe(false);
  });

  it('splits the broker list and turns tracing export on with an endpoint', () => {
    const settings = load({
      WAIL_KAFKA_BROKERS: 'a:9092, b:9092',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(settings.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(settings.exportTraces).toBe(true);
  });

  it('names the clusters of WAIL_KAFKA_CLUSTERS beside main, which may be redefined there', () => {
    expect([...load({ WAIL_KAFKA_CLUSTERS: 'hot=h:9192' }).kafka.clusters]).toEqual([
      ['main', ['127.0.0.1:9092']],
      ['hot', ['h:9192']],
    ]);
    expect(load({ WAIL_KAFKA_CLUSTERS: 'main=m:1' }).kafka.brokers).toEqual(['m:1']);
  });

  it('sends the read token, or the former single token when no read token is set', () => {
    const read = 'read-token-0123456789';
    const former = 'former-token-0123456789';
    expect(load({ WAIL_REPOSITORY_TOKEN: former }).repository.token).toBe(former);
    expect(
      load({ WAIL_REPOSITORY_TOKEN: former, WAIL_REPOSITORY_READ_TOKEN: read }).repository.token,
    ).toBe(read);
  });
});
