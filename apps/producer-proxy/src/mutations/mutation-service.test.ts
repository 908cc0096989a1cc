import { WailError } from '@wail/errors';
import { MutationService, type MutationInput, type MutationServiceDeps } from './mutation-service';

describe('the mutation service', () => {
  it('refuses an op other than upsert and delete (a refresh is backfill’s, never a client’s) before it looks anything up', async () => {
    const looked: string[] = [];
    const service = new MutationService({
      routes: {
        get: async (table: string) => {
          looked.push(table);
          return undefined;
        },
        all: () => new Map(),
        isLoaded: true,
      },
      metrics: { mutations: { inc: () => undefined }, latency: { observe: () => undefined } },
    } as unknown as MutationServiceDeps);
    const refresh = {
      table: 'customers',
      op: 'refresh',
      key: { id: 7 },
    } as unknown as MutationInput;

    const caught = await service.mutate(refresh).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(WailError);
    expect((caught as WailError).code).toBe('BAD_REQUEST');
    expect((caught as WailError).statusCode).toBe(400);
    expect(await service.mutateBatch([refresh])).toEqual([
      {
        status: 400,
        error: { code: 'BAD_REQUEST', message: 'op must be "upsert" or "delete" (got "refresh")' },
      },
    ]);
    expect(looked).toEqual([]);
  });
});
