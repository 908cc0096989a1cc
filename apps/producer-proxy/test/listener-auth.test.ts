import { WailError } from '@wail/errors';
import { runServiceUntilExit } from '@wail/testing';
import { loadConfig } from '../src/config';

const tokens = 'proxy-token-0123456789abcdef=*';

describe('the proxy beyond loopback', () => {
  it.each(['0.0.0.0', '::', '192.168.10.20'])(
    'refuses to listen on %s without WAIL_PROXY_TOKENS',
    (host) => {
      let caught: unknown;
      try {
        loadConfig({ WAIL_PROXY_HOST: host });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WailError);
      expect((caught as WailError).code).toBe('CONFIG_INVALID');
      expect((caught as WailError).message).toContain(
        `WAIL_PROXY_HOST (${JSON.stringify(host)}) is not a loopback address and WAIL_PROXY_TOKENS is unset`,
      );
    },
  );

  it('listens beyond loopback with tokens, or without when WAIL_ALLOW_UNAUTHENTICATED=true, and on loopback without', () => {
    expect(loadConfig({ WAIL_PROXY_HOST: '0.0.0.0', WAIL_PROXY_TOKENS: tokens }).tokens?.size).toBe(
      1,
    );
    expect(
      loadConfig({ WAIL_PROXY_HOST: '0.0.0.0', WAIL_ALLOW_UNAUTHENTICATED: 'true' }).tokens,
    ).toBeUndefined();
    expect(loadConfig({ WAIL_PROXY_HOST: '127.0.0.1' }).tokens).toBeUndefined();
  });

  it('sends the repository its read token, falling back on the former WAIL_REPOSITORY_TOKEN', () => {
    expect(
      loadConfig({
        WAIL_REPOSITORY_READ_TOKEN: 'read-token-0123456789abcdef',
        WAIL_REPOSITORY_TOKEN: 'old-token-0123456789abcdef',
      }).repository.token,
    ).toBe('read-token-0123456789abcdef');
    expect(
      loadConfig({ WAIL_REPOSITORY_TOKEN: 'old-token-0123456789abcdef' }).repository.token,
    ).toBe('old-token-0123456789abcdef');
  });

  it('exits 1 with the reason when started on 0.0.0.0 without tokens', async () => {
    const { code, output } = await runServiceUntilExit('proxy', {
      WAIL_PROXY_HOST: '0.0.0.0',
      WAIL_PROXY_PORT: '0',
    });
    expect(code).toBe(1);
    expect(output).toContain('WAIL_PROXY_HOST (\\"0.0.0.0\\") is not a loopback address');
    expect(output).toContain('WAIL_ALLOW_UNAUTHENTICATED=true');
  }, 40_000);
});
