import { kafkaHot, s3proxy } from './services';
import { Stack } from './stack';

const stack = new Stack({ home: '/nonexistent/wail-home', env: {}, print: () => undefined });
const names = (selected: readonly { name: string }[]) => selected.map((service) => service.name);

describe('Stack.select', () => {
  it('starts every service but the on-demand brokers (kafka-hot, kafka-secure) when up is given no names', () => {
    expect(names(stack.select([]))).toEqual([
      'cassandra',
      'kafka',
      'mysql',
      'postgres',
      'redis',
      's3proxy',
    ]);
  });

  it('selects the on-demand brokers when they are named', () => {
    expect(names(stack.select(['kafka-hot', 'kafka-secure']))).toEqual([
      'kafka-hot',
      'kafka-secure',
    ]);
  });

  it('refuses an unknown service, naming kafka-hot among the known ones', () => {
    expect(() => stack.select(['zookeeper'])).toThrow(/kafka-hot/);
  });
});

describe('kafka-hot', () => {
  it('listens on 127.0.0.1:9192 unless WAIL_KAFKA_HOT_BROKERS says otherwise', () => {
    expect(kafkaHot.endpoint({})).toEqual({ host: '127.0.0.1', port: 9192 });
    expect(kafkaHot.endpoint({ WAIL_KAFKA_HOT_BROKERS: 'hot.example:9300,b:9301' })).toEqual({
      host: 'hot.example',
      port: 9300,
    });
  });

  it('is external when WAIL_KAFKA_HOT_BROKERS is set, and not when only WAIL_KAFKA_BROKERS is', () => {
    const external = (env: NodeJS.ProcessEnv) =>
      new Stack({ home: '/nonexistent', env, print: () => undefined }).isExternal(kafkaHot);
    expect(external({ WAIL_KAFKA_HOT_BROKERS: '10.0.0.1:9092' })).toBe(true);
    expect(external({ WAIL_KAFKA_BROKERS: '10.0.0.1:9092' })).toBe(false);
  });
});

describe('s3proxy', () => {
  it('listens on 127.0.0.1:9300 unless WAIL_S3_ENDPOINT says otherwise, and is external when it is set', () => {
    expect(s3proxy.endpoint({})).toEqual({ host: '127.0.0.1', port: 9300 });
    expect(s3proxy.endpoint({ WAIL_S3_ENDPOINT: 'http://objects.example:9000' })).toEqual({
      host: 'objects.example',
      port: 9000,
    });
    const external = (env: NodeJS.ProcessEnv) =>
      new Stack({ home: '/nonexistent', env, print: () => undefined }).isExternal(s3proxy);
    expect(external({ WAIL_S3_ENDPOINT: 'http://objects.example:9000' })).toBe(true);
    expect(external({})).toBe(false);
  });
});
