import { WailError } from '@wail/errors';
import { runServiceUntilExit, startServiceProcess, uniqueName } from '@wail/testing';
import { loadConfig } from '../src/config';
import { dropDatabase } from './support';

const read = 'read-token-0123456789abcdef';
const write = 'write-token-0123456789abcdef';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(WailError);
    expect((error as WailError).code).toBe('CONFIG_INVALID');
    return (error as WailError).message;
  }
  throw new Error('the configuration was accepted');
}

describe('the repository beyond loopback', () => {
  it.each(['0.0.0.0', '::', '10.1.2.3', 'repository.example.com'])(
    'refuses to listen on %s without its read and write tokens',
    (host) => {
      expect(refusal({ WAIL_REPOSITORY_HOST: host })).toContain(
        `WAIL_REPOSITORY_HOST (${JSON.stringify(host)}) is not a loopback address and WAIL_REPOSITORY_WRITE_TOKEN and WAIL_REPOSITORY_READ_TOKEN are unset`,
      );
      expect(refusal({ WAIL_REPOSITORY_HOST: host, WAIL_REPOSITORY_WRITE_TOKEN: write })).toContain(
        'WAIL_REPOSITORY_READ_TOKEN is unset',
      );
    },
  );

  it('starts beyond loopback with both tokens (the former name counts as the write token), or when told to run open', () => {
    expect(
      loadConfig({
        WAIL_REPOSITORY_HOST: '0.0.0.0',
        WAIL_REPOSITORY_WRITE_TOKEN: write,
        WAIL_REPOSITORY_READ_TOKEN: read,
      }).tokens,
    ).toEqual({ write, read });
    expect(
      loadConfig({
        WAIL_REPOSITORY_HOST: '::',
        WAIL_REPOSITORY_TOKEN: write,
        WAIL_REPOSITORY_READ_TOKEN: read,
      }).tokens,
    ).toEqual({ write, read });
    expect(
      loadConfig({ WAIL_REPOSITORY_HOST: '0.0.0.0', WAIL_ALLOW_UNAUTHENTICATED: 'true' }).tokens,
    ).toEqual({ write: undefined, read: undefined });
    expect(loadConfig({}).tokens).toEqual({ write: undefined, read: undefined });
  });

  it('refuses token settings that would leave a hole', () => {
    expect(refusal({ WAIL_REPOSITORY_READ_TOKEN: read })).toContain(
      'WAIL_REPOSITORY_READ_TOKEN is set without WAIL_REPOSITORY_WRITE_TOKEN',
    );
    expect(
      refusal({ WAIL_REPOSITORY_READ_TOKEN: write, WAIL_REPOSITORY_WRITE_TOKEN: write }),
    ).toContain('WAIL_REPOSITORY_READ_TOKEN equals the write token');
    expect(refusal({ WAIL_REPOSITORY_TOKEN: read, WAIL_REPOSITORY_WRITE_TOKEN: write })).toContain(
      'WAIL_REPOSITORY_TOKEN and WAIL_REPOSITORY_WRITE_TOKEN differ',
    );
  });

  it('exits 1 with the reason when started on 0.0.0.0 without tokens', async () => {
    const { code, output } = await runServiceUntilExit('repository', {
      WAIL_REPOSITORY_HOST: '0.0.0.0',
      WAIL_REPOSITORY_PORT: '0',
    });
    expect(code).toBe(1);
    expect(output).toContain('WAIL_REPOSITORY_HOST (\\"0.0.0.0\\") is not a loopback address');
    expect(output).toContain('WAIL_ALLOW_UNAUTHENTICATED=true');
  }, 40_000);

  it('starts on 0.0.0.0 without tokens when WAIL_ALLOW_UNAUTHENTICATED=true', async () => {
    const database = uniqueName('wail_repo_open');
    const service = await startServiceProcess('repository', {
      WAIL_REPOSITORY_HOST: '0.0.0.0',
      WAIL_ALLOW_UNAUTHENTICATED: 'true',
      WAIL_REPOSITORY_DATABASE: database,
    });
    try {
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    } finally {
      await service.stop();
      await dropDatabase(database);
    }
  }, 60_000);
});
