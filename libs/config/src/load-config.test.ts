import { Type } from '@sinclair/typebox';
import { WailError } from '@wail/errors';
import { KafkaEnv, loadEnv, splitList } from './index';

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
});
