import { randomUUID } from 'node:crypto';
import { MysqlConnection } from '@wail/store-mysql';
import { stackEnv } from '@wail/testing';
import { call, startRepository, type TestRepository } from './support';

const route = { store: 'mysql', database: 'shop', keyColumns: ['id'] };

function checkpoint(overrides: Record<string, unknown> = {}) {
  return {
    runId: randomUUID(),
    status: 'running',
    cursor: null,
    where: [{ column: 'region', op: '=', value: 'eu' }],
    ratePerSecond: 500,
    chunkSize: 1000,
    rowsScanned: 0,
    refreshesAppended: 0,
    chunksDone: 0,
    estimatedRows: 1200,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    error: null,
    ...overrides,
  };
}

/** `/v1/backfills`: where a `wail backfill` run resumes after a crash, and who runs it. */
describe('backfill checkpoints', () => {
  let repo: TestRepository;
  beforeAll(async () => {
    repo = await startRepository();
    expect((await call(repo.app, 'PUT', '/v1/tables/orders', route)).status).toBe(200);
  });
  afterAll(async () => {
    await repo.close();
  });

  it('stores a checkpoint, reads it back with the time it was written, and lists it', async () => {
    const first = checkpoint();
    const put = await call(repo.app, 'PUT', '/v1/backfills/orders', first);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      ...first,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    // Written just now, by the database's clock.
    const age = Date.now() - Date.parse((put.body as { updatedAt: string }).updatedAt);
    expect(Math.abs(age)).toBeLessThan(60_000);
    const next = { ...first, cursor: 'eyJrIjpbIjQyIl19', rowsScanned: 1000, chunksDone: 1 };
    expect((await call(repo.app, 'PUT', '/v1/backfills/orders', next)).status).toBe(200);
    expect((await call(repo.app, 'GET', '/v1/backfills/orders')).body).toMatchObject(next);
    const listed = await call(repo.app, 'GET', '/v1/backfills');
    expect(listed.body).toEqual({
      backfills: [expect.objectContaining({ table: 'orders', runId: first.runId })],
    });
  });

  it('refuses a second run while the first still writes its checkpoint, unless forced', async () => {
    const owner = (await call(repo.app, 'GET', '/v1/backfills/orders')).body as {
      runId: string;
    };
    const other = checkpoint();
    const refused = await call(repo.app, 'PUT', '/v1/backfills/orders', other);
    expect(refused).toMatchObject({ status: 409, body: { error_code: 40944 } });
    expect(String((refused.body as { message: string }).message)).toContain(owner.runId);
    const forced = await call(repo.app, 'PUT', '/v1/backfills/orders?force=true', other);
    expect(forced.status).toBe(200);
    // A finished run is taken over without force.
    expect(
      (await call(repo.app, 'PUT', '/v1/backfills/orders', { ...other, status: 'done' })).status,
    ).toBe(200);
    expect((await call(repo.app, 'PUT', '/v1/backfills/orders', checkpoint())).status).toBe(200);
  });

  it('takes over a run whose checkpoint is stale', async () => {
    await call(repo.app, 'PUT', '/v1/backfills/orders', checkpoint());
    const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl });
    await mysql.pool.query(
      `UPDATE \`${repo.database}\`.backfills SET updated_at = CURRENT_TIMESTAMP(3) - INTERVAL 31 SECOND WHERE table_name = 'orders'`,
    );
    await mysql.close();
    expect((await call(repo.app, 'PUT', '/v1/backfills/orders', checkpoint())).status).toBe(200);
  });

  it('answers 404 for a table without a route or without a checkpoint, and deletes one', async () => {
    expect(await call(repo.app, 'PUT', '/v1/backfills/ghosts', checkpoint())).toMatchObject({
      status: 404,
      body: { error_code: 40441 },
    });
    expect(await call(repo.app, 'GET', '/v1/backfills/ghosts')).toMatchObject({
      status: 404,
      body: { error_code: 40444 },
    });
    expect((await call(repo.app, 'DELETE', '/v1/backfills/orders')).status).toBe(200);
    expect((await call(repo.app, 'GET', '/v1/backfills/orders')).status).toBe(404);
  });

  it.each([
    ['an unknown field', { extra: 1 }],
    ['a cursor over 4096 characters', { cursor: 'x'.repeat(4097) }],
    [
      '17 conditions',
      { where: Array.from({ length: 17 }, () => ({ column: 'a', op: '=', value: 1 })) },
    ],
    ['an unknown operator', { where: [{ column: 'a', op: 'LIKE', value: 'x' }] }],
    ['an object as a value', { where: [{ column: 'a', op: '=', value: { $ne: 1 } }] }],
    ['a run id that is no UUID', { runId: 'me' }],
    ['a chunk of 10,001 rows', { chunkSize: 10_001 }],
    ['a negative count', { rowsScanned: -1 }],
    ['an unknown status', { status: 'paused' }],
  ])('refuses %s with 422 42243 and stores nothing', async (_label, change) => {
    const answer = await call(repo.app, 'PUT', '/v1/backfills/orders', checkpoint(change));
    expect(answer).toMatchObject({ status: 422, body: { error_code: 42243 } });
    expect((await call(repo.app, 'GET', '/v1/backfills/orders')).status).toBe(404);
  });
});
