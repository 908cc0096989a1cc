import { ReplyError } from 'ioredis';
import { WailError } from '@wail/errors';
import { translateRedisError } from './redis-errors';

const reply = (message: string): Error => new ReplyError(message) as Error;

describe('translateRedisError', () => {
  it('turns a script refusal into DATABASE_REJECTED naming the missing columns only', () => {
    const error = translateRedisError(reply('WAILREJECTED name,age,"bad name"'), {
      table: 'people',
    });
    expect(error.code).toBe('DATABASE_REJECTED');
    expect(error.retriable).toBe(false);
    expect(error.details).toEqual({ rule: 'required', columns: ['name', 'age'] });
    expect(error.message).toContain('people');
  });

  it('rejects a command wrong for the key, and says unavailable for a server that cannot serve', () => {
    expect(
      translateRedisError(
        reply('WRONGTYPE Operation against a key holding the wrong kind of value'),
      ).code,
    ).toBe('DATABASE_REJECTED');
    for (const code of ['LOADING', 'BUSY', 'READONLY', 'OOM', 'NOAUTH', 'WRONGPASS', 'NOPERM']) {
      const error = translateRedisError(reply(`${code} something at 10.0.0.7:6379`));
      expect(error.code).toBe('DATABASE_UNAVAILABLE');
      expect(error.message).toBe(`Redis is unavailable (${code})`);
    }
  });

  it('says unavailable for connection failures and timeouts, without the address or password', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6379 pw=secret'), {
      code: 'ECONNREFUSED',
    });
    expect(translateRedisError(refused)).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      retriable: true,
      message: 'Redis is unavailable (ECONNREFUSED)',
    });
    const timedOut = translateRedisError(new Error('Command timed out'));
    expect(timedOut.code).toBe('DATABASE_UNAVAILABLE');
    expect(translateRedisError(new TypeError('bad')).code).toBe('INTERNAL');
  });

  it('passes WailErrors through', () => {
    const original = new WailError('BAD_REQUEST', 'x');
    expect(translateRedisError(original)).toBe(original);
  });
});
