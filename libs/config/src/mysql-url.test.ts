import fc from 'fast-check';
import { WailError } from '@wail/errors';
import { PERCENT_ENCODE_HINT, parseMysqlUrl, readMysqlUrl } from './mysql-url';

const PASSWORD = 'S3cr3t#/pw@?%[] x-9f2c';

describe('readMysqlUrl', () => {
  it('reads user, password, host, port and database', () => {
    expect(readMysqlUrl('mysql://app:pw@db.example:3307/shop')).toEqual({
      ok: true,
      address: { host: 'db.example', port: 3307, user: 'app', password: 'pw', database: 'shop' },
    });
    expect(readMysqlUrl('mysql://root@127.0.0.1:3306')).toEqual({
      ok: true,
      address: {
        host: '127.0.0.1',
        port: 3306,
        user: 'root',
        password: undefined,
        database: undefined,
      },
    });
    expect(readMysqlUrl('mysql://[::1]')).toMatchObject({ ok: true, address: { host: '::1' } });
  });

  it('accepts a password with # / @ ? % [ ] and spaces when percent-encoded', () => {
    const reading = readMysqlUrl(`mysql://app:${encodeURIComponent(PASSWORD)}@db:3306/shop`);
    expect(reading).toMatchObject({ ok: true, address: { password: PASSWORD, host: 'db' } });
  });

  it('round-trips any percent-encoded user and password', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.string({ unit: 'binary' }),
        (user, password) => {
          const url = `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@h:1/d`;
          const reading = readMysqlUrl(url);
          return (
            reading.ok && reading.address.user === user && reading.address.password === password
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['#', 'mysql://app:S3cr3t#pw@db:3306'],
    ['/', 'mysql://app:S3cr3t/pw@db:3306'],
    ['/ that looks like a port', 'mysql://app:1234/pw@db:3306'],
    ['@', 'mysql://app:S3cr@t@db:3306'],
    ['?', 'mysql://app:S3cr?t@db:3306'],
    ['% not followed by two hex digits', 'mysql://app:100%sure@db:3306'],
    ['space', 'mysql://app:two words@db:3306'],
  ])('refuses an unencoded %s in the password and says to percent-encode it', (_what, url) => {
    const reading = readMysqlUrl(url);
    expect(reading).toEqual({ ok: false, problem: PERCENT_ENCODE_HINT });
  });

  it('refuses what it cannot honour, without quoting the URL', () => {
    const cases = [
      'postgres://app:pw@db',
      'mysql://app:pw@db:99999',
      'mysql://app:pw@db:3306?ssl=true',
      'mysql://db:3306#frag',
      'mysql://app:%FF@db',
      'mysql://',
    ];
    for (const url of cases) {
      const reading = readMysqlUrl(url);
      expect(reading.ok).toBe(false);
      if (!reading.ok) {
        expect(reading.problem).not.toContain('app');
        expect(reading.problem).not.toContain('db:');
      }
    }
  });
});

describe('parseMysqlUrl', () => {
  it('fails with CONFIG_INVALID naming the variable, never the URL or the password', () => {
    const url = `mysql://app:${PASSWORD}@db:3306`;
    let caught: unknown;
    try {
      parseMysqlUrl(url, 'WAIL_MYSQL_URL');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WailError);
    const error = caught as WailError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('WAIL_MYSQL_URL');
    expect(error.message).toContain('percent-encode the password');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(
      /S3cr3t|x-9f2c|db:3306/,
    );
  });

  it('does not throw what `new URL` would: a TypeError carrying the whole URL as `input`', () => {
    const url = `mysql://app:${PASSWORD}@db:3306`;
    expect(() => new URL(url)).toThrow(expect.objectContaining({ input: url }));
    expect(() => parseMysqlUrl(url)).toThrow(expect.not.objectContaining({ input: url }));
  });
});
