import type { WailError } from '@wail/errors';
import { loadConfig } from './config';

function startUpError(env: Record<string, string>): WailError {
  try {
    loadConfig(env);
  } catch (error) {
    return error as WailError;
  }
  throw new Error('the configuration was accepted');
}

describe('WAIL_PROXY_WRITE_FOLD', () => {
  it('defaults to 32 and takes a whole number from 1 (no folding) to 1000', () => {
    expect(loadConfig({}).writeFold).toBe(32);
    expect(loadConfig({ WAIL_PROXY_WRITE_FOLD: '1' }).writeFold).toBe(1);
    expect(loadConfig({ WAIL_PROXY_WRITE_FOLD: '1000' }).writeFold).toBe(1000);
  });

  it.each(['0', '1001', '2.5', 'many', '-1', '9'.repeat(400)])(
    'refuses %s, naming the variable',
    (value) => {
      const error = startUpError({ WAIL_PROXY_WRITE_FOLD: value });
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('WAIL_PROXY_WRITE_FOLD');
    },
  );
});
