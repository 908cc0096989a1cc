import { isSecretVariable, secretValues } from './secrets';

describe('isSecretVariable', () => {
  it.each([
    'WAIL_MYSQL_PASSWORD',
    'WAIL_CASSANDRA_PASSWORD',
    'WAIL_REPOSITORY_TOKEN',
    'WAIL_PROXY_TOKENS',
    'WAIL_REPOSITORY_READ_TOKEN',
    'WAIL_MYSQL_URL',
    'WAIL_MYSQL_REPLICA_URL',
    'WAIL_REPOSITORY_URL',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'WAIL_WEBHOOK_SECRET',
    'WAIL_OBJECT_STORE_ACCESS_KEY',
  ])('treats %s as secret', (name) => expect(isSecretVariable(name)).toBe(true));

  it.each([
    'WAIL_MYSQL_USER',
    'WAIL_CASSANDRA_USERNAME',
    'WAIL_KAFKA_BROKERS',
    'WAIL_PROXY_PORT',
    'WAIL_CONSUMER_KEY_CONCURRENCY',
    'WAIL_DLQ_TOPIC',
    'WAIL_PROXY_MAX_KEY',
    'WAIL_TOKEN_TTL_MS',
  ])('echoes %s', (name) => expect(isSecretVariable(name)).toBe(false));
});

describe('secretValues', () => {
  it('collects passwords, tokens and the passwords of URLs, in raw and percent forms', () => {
    const values = secretValues({
      WAIL_MYSQL_PASSWORD: 'S3cr3t#/pw',
      WAIL_MYSQL_URL: `mysql://app:${encodeURIComponent('Url#pw/1')}@db:3306`,
      WAIL_MYSQL_REPLICA_URL: 'mysql://app:Raw#pw/2@db:3306',
      WAIL_REPOSITORY_TOKEN: 'repository-token-0123456789',
      WAIL_PROXY_TOKENS: 'proxy-token-a-0123456=orders,items; proxy-token-b-0123456=*',
      WAIL_REPOSITORY_URL: 'http://127.0.0.1:8081',
      WAIL_MYSQL_USER: 'app',
    });
    expect(values).toEqual(
      expect.arrayContaining([
        'S3cr3t#/pw',
        encodeURIComponent('S3cr3t#/pw'),
        'Url#pw/1',
        encodeURIComponent('Url#pw/1'),
        'Raw#pw/2',
        'repository-token-0123456789',
        'proxy-token-a-0123456',
        'proxy-token-b-0123456',
      ]),
    );
    expect(values).not.toContain('app');
    expect(values.some((value) => value.includes('127.0.0.1'))).toBe(false);
  });

  it("ignores other programs' variables and values too short to scrub", () => {
    expect(secretValues({ SOME_TOOL_KEY: 'true', WAIL_MYSQL_PASSWORD: 'pw' })).toEqual([]);
  });
});
