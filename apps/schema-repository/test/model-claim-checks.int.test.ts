import { envelopeSchemas } from '@wail/contracts';
import { MysqlConnection } from '@wail/store-mysql';
import { stackEnv } from '@wail/testing';
import { migrate } from '../src/storage/migrations';
import { call, startRepository, type TestRepository } from './support';

/**
 * A data model version's claim-check threshold (`claimCheckBytes`,
 * docs/claim-checks.md): an encoded event value larger than it goes to the
 * object store and the event carries a pointer.
 */
let repo: TestRepository;

const route = { store: 'mysql', database: 'shop', keyColumns: ['id'] };
const schema = {
  type: 'record',
  name: 'Row',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'payload', type: 'string' },
  ],
};

async function withRoute(table: string): Promise<void> {
  expect((await call(repo.app, 'PUT', `/v1/tables/${table}`, route)).status).toBe(200);
}
const postModel = (table: string, body: unknown) =>
  call(repo.app, 'POST', `/v1/models/${table}/versions`, body);
const getModel = async (table: string, version: number | 'latest') =>
  (await call(repo.app, 'GET', `/v1/models/${table}/versions/${version}`)).body as Record<
    string,
    unknown
  >;

beforeAll(async () => {
  repo = await startRepository();
});
afterAll(async () => {
  await repo?.close();
});

describe('claimCheckBytes', () => {
  it('is 900000 when the body does not say, in the answer and read back', async () => {
    await withRoute('defaulted');
    const answer = await postModel('defaulted', { schema });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ version: 1, claimCheckBytes: 900_000 });
    expect(await getModel('defaulted', 'latest')).toMatchObject({ claimCheckBytes: 900_000 });
  });

  it('is kept as given, and changing it alone makes a new version', async () => {
    await withRoute('tuned');
    const first = await postModel('tuned', { schema, claimCheckBytes: 4096 });
    expect(first.body).toMatchObject({ version: 1, claimCheckBytes: 4096 });
    const again = await postModel('tuned', { schema, claimCheckBytes: 4096 });
    expect(again.body).toEqual(first.body);
    const raised = await postModel('tuned', { schema, claimCheckBytes: 65_536 });
    expect(raised.body).toMatchObject({ version: 2, claimCheckBytes: 65_536 });
    expect(await getModel('tuned', 1)).toMatchObject({ claimCheckBytes: 4096 });
    expect(await getModel('tuned', 2)).toMatchObject({ claimCheckBytes: 65_536 });
  });

  it.each([
    ['below 1 KiB', 1023],
    ['above the bound', 100_000_001],
    ['a fraction', 2048.5],
    ['a string', '900000'],
  ])('is refused with 422 when it is %s, naming its bounds', async (_, claimCheckBytes) => {
    await withRoute('refused');
    const answer = await postModel('refused', { schema, claimCheckBytes });
    expect(answer.status).toBe(422);
    expect((answer.body as { message: string }).message).toContain(
      '"claimCheckBytes" must be an integer from 1024 to 100000000',
    );
  });
});

describe('the envelope with claimCheck', () => {
  it('registers under BACKWARD over an envelope registered before claim checks', async () => {
    await withRoute('upgraded');
    const topic = 'wail.events.upgraded';
    const { keySchema, valueSchema } = envelopeSchemas(schema, [{ name: 'id', type: 'long' }]);
    const fields = valueSchema['fields'] as { name: string }[];
    expect(fields[fields.length - 1]?.name).toBe('claimCheck');
    // The subjects as an earlier WAIL left them: the same envelope without its last field.
    const before = { ...valueSchema, fields: fields.slice(0, -1) };
    for (const [subject, registered] of [
      [`${topic}-key`, keySchema],
      [`${topic}-value`, before],
    ] as const) {
      const answer = await call(repo.app, 'POST', `/subjects/${subject}/versions`, {
        schema: JSON.stringify(registered),
      });
      expect(answer.status).toBe(200);
    }
    const compatibility = await call(
      repo.app,
      'GET',
      `/config/${topic}-value?defaultToGlobal=true`,
    );
    expect(compatibility.body).toMatchObject({ compatibilityLevel: 'BACKWARD' });
    const answer = await postModel('upgraded', { schema });
    expect(answer.status).toBe(200);
    const versions = await call(repo.app, 'GET', `/subjects/${topic}-value/versions`);
    expect(versions.body).toEqual([1, 2]);
  });
});

describe('migration 5', () => {
  it('gives versions stored before it the default threshold', async () => {
    await withRoute('legacy');
    expect((await postModel('legacy', { schema, claimCheckBytes: 2048 })).status).toBe(200);
    const mysql = new MysqlConnection({
      url: stackEnv().mysqlUrl,
      database: repo.database,
      connectionLimit: 1,
    });
    try {
      await mysql.pool.query('ALTER TABLE data_models DROP COLUMN claim_check_bytes');
      await mysql.pool.query('DELETE FROM schema_migrations WHERE version = 5');
      expect(await migrate(mysql.pool)).toEqual([5]);
      expect(await migrate(mysql.pool)).toEqual([]);
    } finally {
      await mysql.close();
    }
    expect(await getModel('legacy', 1)).toMatchObject({ claimCheckBytes: 900_000 });
  });
});
