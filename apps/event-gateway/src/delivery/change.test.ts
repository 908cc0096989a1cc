import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isWailError } from '@wail/errors';
import { ChangeDecoder } from './change';

describe('ChangeDecoder', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // A repository that takes every request and never answers.
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a schema request the repository never answers, as retriable', async () => {
    const decoder = new ChangeDecoder(url, { timeoutMs: 100 });
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), Buffer.from([2, 0])]);
    const started = Date.now();
    const error: unknown = await decoder
      .decode({ topic: 't', partition: 0, offset: 5n, key: null, value, headers: {}, timestamp: 0 })
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(isWailError(error) && error.code).toBe('REPOSITORY_UNAVAILABLE');
    expect(isWailError(error) && error.retriable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
