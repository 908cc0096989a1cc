import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { envelopeSchemas } from '@wail/contracts';
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

  it("never fetches another table's claim check for a subscription", async () => {
    const row = {
      type: 'record',
      name: 'Other',
      fields: [{ name: 'id', type: 'long' }],
    };
    const { valueSchema } = envelopeSchemas(row, [{ name: 'id', type: 'long' }]);
    const registry = createServer((request, response) => {
      response.writeHead(request.url === '/schemas/ids/9' ? 200 : 404, {
        'content-type': 'application/vnd.schemaregistry.v1+json',
      });
      response.end(JSON.stringify({ schema: JSON.stringify(valueSchema) }));
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    try {
      const fetched: unknown[] = [];
      const decoder = new ChangeDecoder(
        `http://127.0.0.1:${(registry.address() as AddressInfo).port}`,
        {
          claims: {
            getClaim: async (pointer) => {
              fetched.push(pointer);
              throw new Error('the object store is down');
            },
          },
        },
      );
      const envelope = avro.Type.forSchema(valueSchema as avro.Schema).toBuffer({
        op: 'UPSERT',
        key: { id: 1 },
        after: null,
        version: 1,
        source: { table: 'other', store: 'mysql', intentId: 'i', intentTs: 1 },
        modelVersion: 1,
        claimCheck: { uri: 's3://b/claims/00', size: 10, sha256: '00', contentType: 'x' },
      });
      const header = Buffer.from([0, 0, 0, 0, 9]);
      const record = {
        topic: 't',
        partition: 0,
        offset: 1n,
        key: null,
        value: Buffer.concat([header, envelope]),
        headers: {},
        timestamp: 0,
      };
      await expect(decoder.decode(record, new Set(['items']))).resolves.toBeUndefined();
      expect(fetched).toHaveLength(0);
      // Its own subscribers do fetch it (and wait while the store is down).
      await expect(decoder.decode(record, new Set(['other']))).rejects.toThrow();
      expect(fetched).toHaveLength(1);
    } finally {
      await new Promise((resolve) => registry.close(resolve));
    }
  });
});
