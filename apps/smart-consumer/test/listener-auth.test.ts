import { loadConfig } from '../src/config';

describe('the consumer beyond loopback', () => {
  it('listens on 0.0.0.0 without a token: it serves only health, readiness and metrics', () => {
    expect(loadConfig({ WAIL_CONSUMER_HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
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
});
