import { A1, call, startRepository, type TestRepository } from './support';

/**
 * The token matrix over HTTP: which credential opens which route, with a read
 * and a write token configured, with only a write token (the former single
 * token), and with none.
 */
const readToken = 'read-token-0123456789abcdef';
const writeToken = 'write-token-0123456789abcdef';

type Level = 'public' | 'read' | 'check' | 'write';
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const route = { store: 'mysql', database: 'shop', keyColumns: ['id'] };
const model = {
  schema: { type: 'record', name: 'Thing', fields: [{ name: 'id', type: 'long' }] },
};

/** Every route of the API with the level it needs; `:id` is a registered schema id. */
const endpoints: [Level, Method, string, unknown?][] = [
  ['public', 'GET', '/'],
  ['public', 'GET', '/schemas/types'],
  ['public', 'GET', '/schemas/ids/:id'],
  ['public', 'GET', '/schemas/ids/:id/schema'],
  ['public', 'GET', '/healthz'],
  ['public', 'GET', '/metrics'],
  ['public', 'GET', '/openapi.json'],
  ['read', 'GET', '/schemas'],
  ['read', 'GET', '/schemas/ids/:id/subjects'],
  ['read', 'GET', '/schemas/ids/:id/versions'],
  ['read', 'GET', '/subjects'],
  ['read', 'GET', '/subjects/things-value/versions'],
  ['read', 'GET', '/subjects/things-value/versions/latest'],
  ['read', 'GET', '/subjects/things-value/versions/1/schema'],
  ['read', 'GET', '/subjects/things-value/versions/1/referencedby'],
  ['read', 'POST', '/subjects/things-value', { schema: A1 }],
  ['read', 'GET', '/config'],
  ['read', 'GET', '/config/things-value'],
  ['read', 'GET', '/mode'],
  ['read', 'GET', '/mode/things-value'],
  ['read', 'GET', '/contexts'],
  ['read', 'GET', '/v1/metadata/id'],
  ['read', 'GET', '/v1/metadata/version'],
  ['read', 'GET', '/v1/tables'],
  ['read', 'GET', '/v1/tables/things'],
  ['read', 'GET', '/v1/models/things/versions'],
  ['read', 'GET', '/v1/models/things/versions/latest'],
  ['read', 'GET', '/v1/models/things/versions/1'],
  ['read', 'GET', '/no/such/endpoint'],
  ['check', 'POST', '/compatibility/subjects/things-value/versions/latest', { schema: A1 }],
  ['check', 'POST', '/compatibility/subjects/things-value/versions', { schema: A1 }],
  ['write', 'POST', '/subjects/things-value/versions', { schema: A1 }],
  ['write', 'PUT', '/config', { compatibility: 'BACKWARD' }],
  ['write', 'PUT', '/config/things-value', { compatibility: 'BACKWARD' }],
  ['write', 'DELETE', '/config/other-value'],
  ['write', 'PUT', '/mode/things-value', { mode: 'READWRITE' }],
  ['write', 'DELETE', '/mode/other-value'],
  ['write', 'DELETE', '/subjects/other-value'],
  ['write', 'DELETE', '/subjects/other-value/versions/1'],
  ['write', 'PUT', '/v1/tables/things', route],
  ['write', 'DELETE', '/v1/tables/nothing'],
  ['write', 'POST', '/v1/models/things/versions', model],
];

const credentials = {
  none: undefined,
  wrong: 'Bearer not-the-token-0123456789',
  read: `Bearer ${readToken}`,
  write: `Bearer ${writeToken}`,
} as const;
type Credential = keyof typeof credentials;

async function setUp(repo: TestRepository): Promise<number> {
  const auth = { authorization: credentials.write };
  const registered = await call(
    repo.app,
    'POST',
    '/subjects/things-value/versions',
    { schema: A1 },
    auth,
  );
  expect(registered.status).toBe(200);
  expect((await call(repo.app, 'PUT', '/v1/tables/things', route, auth)).status).toBe(200);
  expect((await call(repo.app, 'POST', '/v1/models/things/versions', model, auth)).status).toBe(
    200,
  );
  return (registered.body as { id: number }).id;
}

function describeMatrix(
  title: string,
  env: Record<string, string>,
  allowed: (level: Level, credential: Credential) => 'yes' | 401 | 403,
): void {
  describe(title, () => {
    let repo: TestRepository;
    let id: number;
    beforeAll(async () => {
      repo = await startRepository(env);
      id = await setUp(repo);
    });
    afterAll(async () => {
      await repo.close();
    });

    it.each(Object.keys(credentials) as Credential[])(
      'opens exactly the routes it should with the %s credential',
      async (credential) => {
        const outcomes: string[] = [];
        const expected: string[] = [];
        for (const [level, method, path, body] of endpoints) {
          const header = credentials[credential];
          const answer = await call(
            repo.app,
            method,
            path.replace(':id', String(id)),
            body,
            header === undefined ? {} : { authorization: header },
          );
          const want = allowed(level, credential);
          const got =
            answer.status === 401
              ? 401
              : answer.status === 403
                ? 403
                : answer.status < 500
                  ? 'yes'
                  : answer.status;
          outcomes.push(`${method} ${path}: ${got}`);
          expected.push(`${method} ${path}: ${want}`);
          if (got === 401) {
            expect(answer.body).toMatchObject({ error_code: 40101 });
            expect(answer.headers['www-authenticate']).toMatch(/^Bearer /);
          }
          if (got === 403) expect(answer.body).toMatchObject({ error_code: 40301 });
        }
        expect(outcomes).toEqual(expected);
      },
    );
  });
}

describeMatrix(
  'with a read and a write token',
  { WAIL_REPOSITORY_READ_TOKEN: readToken, WAIL_REPOSITORY_WRITE_TOKEN: writeToken },
  (level, credential) => {
    if (level === 'public' || credential === 'write') return 'yes';
    if (credential === 'read') return level === 'write' ? 403 : 'yes';
    return 401;
  },
);

describeMatrix(
  'with only the write token, under its former name',
  { WAIL_REPOSITORY_TOKEN: writeToken },
  (level, credential) => {
    if (level === 'public' || level === 'read' || credential === 'write') return 'yes';
    return 401;
  },
);

describeMatrix('without tokens (loopback)', {}, () => 'yes');
