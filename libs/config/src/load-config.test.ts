import { Type } from '@sinclair/typebox';
import { WailError } from '@wail/errors';
import { KafkaEnv, MysqlEnv, RepositoryUrlEnv, StoresEnv, loadEnv, splitList } from './index';

const Schema = Type.Object({
  ...KafkaEnv,
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8080 }),
  FLAG: Type.Boolean({ default: false }),
});

describe('loadEnv', () => {
  it('applies defaults when variables are unset or empty', () => {
    expect(loadEnv(Schema, { PORT: '' })).toEqual({
      WAIL_KAFKA_BROKERS: '127.0.0.1:9092',
      PORT: 8080,
      FLAG: false,
    });
  });

  it('converts numbers and booleans from their string form', () => {
    expect(loadEnv(Schema, { PORT: '9000', FLAG: 'true' })).toMatchObject({
      PORT: 9000,
      FLAG: true,
    });
  });

  it.each(['2.5', '1e3', '0x10', '8080.0', 'true'])(
    'refuses %s for a whole number instead of truncating it',
    (value) => {
      expect(() => loadEnv(Schema, { PORT: value })).toThrow(`PORT ("${value}")`);
    },
  );

  it('takes a whole number with a sign or surrounding spaces', () => {
    expect(loadEnv(Schema, { PORT: ' 9000 ' }).PORT).toBe(9000);
    expect(loadEnv(Schema, { PORT: '+9000' }).PORT).toBe(9000);
  });

  it('reports every invalid variable with its value in one error', () => {
    let caught: unknown;
    try {
      loadEnv(Schema, { PORT: 'eighty', WAIL_KAFKA_BROKERS: 'no port here' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WailError);
    const error = caught as WailError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('PORT ("eighty")');
    expect(error.message).toContain('WAIL_KAFKA_BROKERS ("no port here")');
  });

  it('accepts a comma-separated broker list', () => {
    expect(loadEnv(Schema, { WAIL_KAFKA_BROKERS: 'a:1, b:2' }).WAIL_KAFKA_BROKERS).toBe('a:1, b:2');
    expect(splitList('a:1, b:2,,')).toEqual(['a:1', 'b:2']);
  });

  const caughtBy = (run: () => unknown): WailError => {
    try {
      run();
    } catch (error) {
      return error as WailError;
    }
    throw new Error('expected a CONFIG_INVALID');
  };

  it('never echoes the value of a secret variable, only its name and the rule', () => {
    const Secrets = Type.Object({ ...MysqlEnv, ...StoresEnv, ...RepositoryUrlEnv });
    const error = caughtBy(() =>
      loadEnv(Secrets, {
        WAIL_MYSQL_URL: 'mysql://app:S3cr3t#/pw-4e1d@db:3306',
        WAIL_MYSQL_REPLICA_URL: 'nosql://app:R3plica-pw@db',
        WAIL_REPOSITORY_TOKEN: 'short-tok-77',
        WAIL_DB_TIMEOUT_MS: 'soon',
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('WAIL_MYSQL_URL (value hidden)');
    expect(error.message).toContain('percent-encode the password');
    expect(error.message).toContain(
      'WAIL_MYSQL_REPLICA_URL (value hidden): must start with mysql://',
    );
    expect(error.message).toContain('WAIL_REPOSITORY_TOKEN (value hidden)');
    expect(error.message).toContain('WAIL_DB_TIMEOUT_MS ("soon")');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(
      /S3cr3t|pw-4e1d|R3plica|short-tok/,
    );
  });

  it('accepts a percent-encoded password in WAIL_MYSQL_URL', () => {
    const url = `mysql://app:${encodeURIComponent('S3cr3t#/pw@?%')}@db:3306`;
    expect(loadEnv(Type.Object(MysqlEnv), { WAIL_MYSQL_URL: url }).WAIL_MYSQL_URL).toBe(url);
  });
});
