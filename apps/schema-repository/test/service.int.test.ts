import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentedRoutes } from '@wail/runtime';
import { REGISTRY_ERROR_CODES } from '../src/http/registry-errors';
import { A1, call, startRepository, type TestRepository } from './support';

const token = 'test-token-0123456789abcdef';

describe('control-plane token', () => {
  let repo: TestRepository;
  beforeAll(async () => {
    repo = await startRepository({
      WAIL_REPOSITORY_TOKEN: token,
      WAIL_REPOSITORY_BODY_LIMIT: '4096',
    });
  });
  afterAll(async () => {
    await repo.close();
  });

  it('refuses writes without the bearer token with 401', async () => {
    expect(
      await call(repo.app, 'POST', '/subjects/auth-value/versions', { schema: A1 }),
    ).toMatchObject({
      status: 401,
      body: { error_code: 40101 },
    });
    const wrong = { authorization: 'Bearer not-the-token-at-all-000' };
    expect((await call(repo.app, 'PUT', '/config', { compatibility: 'NONE' }, wrong)).status).toBe(
      401,
    );
    expect(
      (
        await call(
          repo.app,
          'PUT',
          '/v1/tables/t',
          { store: 'mysql', database: 'd', keyColumns: ['id'] },
          wrong,
        )
      ).status,
    ).toBe(401);
  });

  it('accepts writes with the token, keeps reads open and needs a token for compatibility tests', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const registered = await call(
      repo.app,
      'POST',
      '/subjects/auth-value/versions',
      { schema: A1 },
      auth,
    );
    expect(registered.status).toBe(200);
    const { id } = registered.body as { id: number };
    expect((await call(repo.app, 'GET', `/schemas/ids/${id}`)).status).toBe(200);
    expect((await call(repo.app, 'GET', '/subjects/auth-value/versions/latest')).status).toBe(200);
    expect((await call(repo.app, 'POST', '/subjects/auth-value', { schema: A1 })).status).toBe(200);
    expect(
      await call(repo.app, 'POST', '/compatibility/subjects/auth-value/versions/latest', {
        schema: A1,
      }),
    ).toMatchObject({ status: 401, body: { error_code: 40101 } });
    expect(
      (
        await call(
          repo.app,
          'POST',
          '/compatibility/subjects/auth-value/versions/latest',
          { schema: A1 },
          auth,
        )
      ).status,
    ).toBe(200);
  });

  it('refuses a body over the limit with 413', async () => {
    const huge = {
      schema: JSON.stringify({ type: 'record', name: 'Big', doc: 'x'.repeat(8000), fields: [] }),
    };
    expect(
      await call(repo.app, 'POST', '/subjects/big-value/versions', huge, {
        authorization: `Bearer ${token}`,
      }),
    ).toMatchObject({
      status: 413,
      body: { error_code: 413 },
    });
  });
});

describe('documentation', () => {
  let repo: TestRepository;
  beforeAll(async () => {
    repo = await startRepository();
  });
  afterAll(async () => {
    await repo.close();
  });

  it('documents every route in the OpenAPI document, and documents no route that does not exist', async () => {
    const { body } = await call(repo.app, 'GET', '/openapi.json');
    const documented = documentedRoutes((body as { paths: Record<string, object> }).paths);
    expect([...new Set(repo.app.routeList)].sort()).toEqual([...new Set(documented)].sort());
  });

  it('serves the OpenAPI document', async () => {
    const answer = await call(repo.app, 'GET', '/openapi.json');
    expect(answer.body).toMatchObject({
      openapi: '3.0.3',
      info: { title: 'WAIL schema repository' },
    });
  });

  it('lists every error code in the README, and no other', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Errors'));
    const listed = [
      ...section.matchAll(/^\|\s*(\d{3,5})\s*\|\s*(\d{3})\s*\|\s*`([A-Z_]+)`\s*\|/gm),
    ].map(([, code, status, name]) => ({
      code: Number(code),
      status: Number(status),
      name,
    }));
    const expected = Object.entries(REGISTRY_ERROR_CODES).map(([code, name]) => ({
      code: Number(code),
      status: Number(code.slice(0, 3)),
      name,
    }));
    expect(listed.sort((a, b) => a.code - b.code)).toEqual(
      expected.sort((a, b) => a.code - b.code),
    );
  });
});

describe('metrics', () => {
  let repo: TestRepository;
  beforeAll(async () => {
    repo = await startRepository();
  });
  afterAll(async () => {
    await repo.close();
  });

  /** The value of one series of /metrics, 0 when absent. */
  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = (await repo.app.inject({ method: 'GET', url: '/metrics' })).body;
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    for (const line of text.split('\n')) {
      const [series, value] = line.split(' ');
      if (series?.startsWith(`${name}{`) && wanted.every((l) => series.includes(l)))
        return Number(value);
    }
    return 0;
  }

  it('counts requests by route pattern and status, and schema-cache hits and misses', async () => {
    const registered = await call(repo.app, 'POST', '/subjects/metrics-value/versions', {
      schema: A1,
    });
    const { id } = registered.body as { id: number };
    const route = { route: '/schemas/ids/:id', method: 'GET' };
    const lookups = async () =>
      (await metric('wail_repository_schema_cache_lookups_total', { result: 'hit' })) +
      (await metric('wail_repository_schema_cache_lookups_total', { result: 'miss' }));
    const before = await lookups();
    const hitsBefore = await metric('wail_repository_schema_cache_lookups_total', {
      result: 'hit',
    });
    expect((await call(repo.app, 'GET', `/schemas/ids/${id}`)).status).toBe(200);
    expect((await call(repo.app, 'GET', `/schemas/ids/${id}`)).status).toBe(200);
    expect((await call(repo.app, 'GET', '/schemas/ids/999999')).status).toBe(404);
    expect(await lookups()).toBe(before + 3);
    // The second read of the same id is answered from memory.
    expect(
      await metric('wail_repository_schema_cache_lookups_total', { result: 'hit' }),
    ).toBeGreaterThanOrEqual(hitsBefore + 1);
    expect(await metric('wail_repository_schema_cache_entries', {})).toBeGreaterThanOrEqual(1);
    expect(await metric('wail_http_requests_total', { ...route, status: '200' })).toBe(2);
    expect(await metric('wail_http_requests_total', { ...route, status: '404' })).toBe(1);
  });
});
