import fc from 'fast-check';
import { call, startRepository, type Answer, type TestRepository } from './support';
import {
  fuzzRuns,
  hostileString,
  modelBody,
  routeBody,
  tableName,
} from './control-plane-arbitraries';

/**
 * Random and hostile route and model bodies through the real service (HTTP
 * via inject, MySQL storage): never a 5xx; every refusal is a 4xx in the
 * repository's error dialect whose code starts with the status; every
 * accepted route and model reads back through GET as it was answered.
 * `WAIL_FUZZ_RUNS=100000` for the long run (per property).
 */
const RUNS = fuzzRuns(150);
/** Generous: a long run on a busy machine. */
const TIMEOUT_MS = Math.max(600_000, RUNS * 50);
let repo: TestRepository;
const statuses = new Map<string, number>();

beforeAll(async () => {
  repo = await startRepository();
  const routes: Record<string, unknown> = {
    mfuzz_a: {
      store: 'mysql',
      database: 'shop',
      keyColumns: ['id'],
      intentTopic: 'wail.intents.shop',
    },
    mfuzz_b: { store: 'cassandra', keyspace: 'shop', keyColumns: ['customer_id', 'order_id'] },
  };
  for (const [table, body] of Object.entries(routes))
    expect((await call(repo.app, 'PUT', `/v1/tables/${table}`, body)).status).toBe(200);
});
afterAll(async () => {
  process.stdout.write(
    `control-plane HTTP fuzz (${RUNS} runs per property): ${JSON.stringify(Object.fromEntries(statuses))}\n`,
  );
  await repo.close();
});

function honest(kind: string, answer: Answer): void {
  statuses.set(`${kind} ${answer.status}`, (statuses.get(`${kind} ${answer.status}`) ?? 0) + 1);
  expect(answer.status).toBeLessThan(500);
  if (answer.status < 300) return;
  const body = answer.body as { error_code?: unknown; message?: unknown };
  expect(typeof body.error_code).toBe('number');
  expect(String(body.error_code).slice(0, 3)).toBe(String(answer.status));
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(5);
}

const urlTable = fc.oneof(
  { weight: 6, arbitrary: tableName },
  {
    weight: 1,
    arbitrary: hostileString.map((text) =>
      [...Buffer.from(text, 'utf8')]
        .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
        .join(''),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('%ZZ', '%E0%A4%A', 'a%2Fb', '..%2F..', 'x?y=1', 'a'.repeat(1100)),
  },
);
const contentType = fc.constantFrom(
  'application/vnd.schemaregistry.v1+json',
  'application/json',
  'application/octet-stream',
  'text/plain',
);

describe('the control plane over HTTP under random and hostile input', () => {
  it(
    'answers every route body with 200 or an honest 4xx; an accepted route reads back as answered',
    async () => {
      await fc.assert(
        fc.asyncProperty(urlTable, routeBody, async (table, body) => {
          const answer = await call(repo.app, 'PUT', `/v1/tables/${table}`, body);
          honest('PUT route', answer);
          if (answer.status !== 200) return;
          const read = await call(repo.app, 'GET', `/v1/tables/${table}`);
          expect(read.status).toBe(200);
          expect(read.body).toEqual(answer.body);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers every model body with 200 or an honest 4xx; an accepted model reads back as answered',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('mfuzz_a', 'mfuzz_b', 'nobody'),
          modelBody,
          async (table, body) => {
            const answer = await call(repo.app, 'POST', `/v1/models/${table}/versions`, body);
            honest('POST model', answer);
            if (answer.status !== 200) return;
            const accepted = answer.body as { version: number; eventTopic: string };
            const read = await call(
              repo.app,
              'GET',
              `/v1/models/${table}/versions/${accepted.version}`,
            );
            expect(read.status).toBe(200);
            expect(read.body).toMatchObject(answer.body as object);
            expect((read.body as { valueSubject: string }).valueSubject).toBe(
              `${accepted.eventTopic}-value`,
            );
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers raw bodies of any content type with an honest 4xx or 200',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('PUT /v1/tables/raw_t', 'POST /v1/models/mfuzz_a/versions'),
          fc.oneof(
            hostileString,
            fc.jsonValue().map((value) => JSON.stringify(value)),
            fc.constant('{"store":'),
          ),
          contentType,
          async (target, payload, type) => {
            const [method, url] = target.split(' ') as ['PUT' | 'POST', string];
            honest(
              `raw ${method}`,
              await call(repo.app, method, url, payload, { 'content-type': type }),
            );
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
