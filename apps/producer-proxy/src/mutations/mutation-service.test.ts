import type { TableRoute } from '@wail/contracts';
import { WailError } from '@wail/errors';
import { HybridLogicalClock } from '@wail/intent';
import type { PreparedWrite, RowStore, WriteRequest } from '@wail/store';
import { silentLogger } from '@wail/telemetry';
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

  it('hands single writes acknowledged together to the store as one executeMany, each with its own outcome', async () => {
    const route = {
      table: 'items',
      store: 'mysql',
      database: 'db',
      keyColumns: ['id'],
      intentTopic: 'items.intents',
      intentCluster: 'main',
      failureMode: 'transactional',
      revision: 1,
      modelVersion: 1,
    } as unknown as TableRoute;
    const calls: number[] = [];
    const store = {
      prepareWrite: async (request: WriteRequest): Promise<PreparedWrite> => ({
        request,
        key: request.key,
        execute: async () => {
          calls.push(1);
          if (request.values['name'] === 'bad') throw new WailError('BAD_REQUEST', 'refused');
        },
      }),
      executeMany: async (writes: readonly PreparedWrite[]) => {
        calls.push(writes.length);
        return writes.map((write) =>
          write.request.values['name'] === 'bad'
            ? new WailError('BAD_REQUEST', 'refused')
            : undefined,
        );
      },
    } as unknown as RowStore;
    const make = (writeFold?: number) =>
      new MutationService({
        routes: { get: async () => route, all: () => new Map(), isLoaded: true },
        stores: new Map([['mysql', store]]),
        // One Kafka response acknowledges every intent of the turn.
        log: { appendEach: (records: readonly unknown[]) => records.map(() => Promise.resolve()) },
        backlog: { add: () => undefined },
        clock: new HybridLogicalClock(),
        proxyId: 'p',
        logger: silentLogger(),
        metrics: { mutations: { inc: () => undefined }, latency: { observe: () => undefined } },
        limits: { keyBytes: 1024, intentBytes: 65536 },
        ...(writeFold === undefined ? {} : { writeFold }),
      } as unknown as MutationServiceDeps);
    const service = make();
    const write = (id: number, name: string, through = service) =>
      through.mutate({ table: 'items', op: 'upsert', key: { id }, values: { name } });

    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => write(i, i === 4 ? 'bad' : `n${i}`)),
    );
    // At most 32 (the default) per call.
    expect(calls).toEqual([32, 8]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(
      Array.from({ length: 40 }, (_, i) => (i === 4 ? 'rejected' : 'fulfilled')),
    );
    expect(((outcomes[4] as PromiseRejectedResult).reason as WailError).code).toBe('BAD_REQUEST');

    // A write alone runs its own statement.
    await write(20, 'alone');
    expect(calls).toEqual([32, 8, 1]);

    // WAIL_PROXY_WRITE_FOLD=1: each write its own statement.
    const unfolded = make(1);
    calls.length = 0;
    await Promise.all([1, 2, 3].map((id) => write(id, 'one by one', unfolded)));
    expect(calls).toEqual([1, 1, 1]);
  });
});
