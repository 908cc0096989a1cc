import { WailError } from '@wail/errors';
import { isLoopbackHost, requireTokensBeyondLoopback } from './index';

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    'localhost',
    'LOCALHOST',
  ])('counts %s as loopback', (host) => expect(isLoopbackHost(host)).toBe(true));

  it.each([
    '0.0.0.0',
    '::',
    '[::]',
    '10.0.0.5',
    '192.168.1.1',
    '128.0.0.1',
    '::ffff:10.0.0.1',
    'example.com',
    'localhost.example.com',
    '',
  ])('counts %s as reachable from elsewhere', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('requireTokensBeyondLoopback', () => {
  const exposure = {
    hostVariable: 'WAIL_X_HOST',
    allowUnauthenticated: false,
    missingTokens: ['WAIL_X_TOKENS'],
    exposes: 'do anything',
  };

  it('refuses a wildcard address without the tokens, naming the variables and the way out', () => {
    let caught: unknown;
    try {
      requireTokensBeyondLoopback({ ...exposure, host: '0.0.0.0' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WailError);
    expect((caught as WailError).code).toBe('CONFIG_INVALID');
    expect((caught as WailError).message).toContain(
      'WAIL_X_HOST ("0.0.0.0") is not a loopback address and WAIL_X_TOKENS is unset',
    );
    expect((caught as WailError).message).toContain('WAIL_ALLOW_UNAUTHENTICATED=true');
  });

  it('lets loopback, configured tokens and an explicit opt-out through', () => {
    expect(() => requireTokensBeyondLoopback({ ...exposure, host: '127.0.0.1' })).not.toThrow();
    expect(() =>
      requireTokensBeyondLoopback({ ...exposure, host: '::', missingTokens: [] }),
    ).not.toThrow();
    expect(() =>
      requireTokensBeyondLoopback({ ...exposure, host: '::', allowUnauthenticated: true }),
    ).not.toThrow();
  });
});
