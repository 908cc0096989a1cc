import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { REGISTRY_ERROR_CODES } from '../src/http/registry-errors';
import {
  FUZZ_RUNS,
  adversarial,
  drawFrom,
  evolve,
  hostileText,
  mutate,
  plausibleSchema,
  type Draw,
} from './avro-arbitraries';
import { call, startRepository, type TestRepository } from './support';

/**
 * The schema endpoints under random and hostile input, through HTTP against
 * MariaDB: register, lookup, both compatibility endpoints and data models.
 * Every answer is an honest status with a Confluent-shaped body — never a
 * 5xx — and the repository still answers afterwards. `WAIL_FUZZ_RUNS` sets
 * the inputs per endpoint (CI: 100; `npm run fuzz:schemas`: 100,000).
 */
let repo: TestRepository;
const LEVELS = ['NONE', 'BACKWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'];
/** Subjects at each level; a fresh set every 250 requests, so a long run never piles thousands of versions on one. */
const configured = new Set<string>();
let requests = 0;

async function subjectAt(level: number): Promise<string> {
  const subject = `fz${level}-${Math.floor(requests++ / 250)}-value`;
  if (!configured.has(subject)) {
    configured.add(subject);
    await call(repo.app, 'PUT', `/config/${subject}`, { compatibility: LEVELS[level] });
  }
  return subject;
}
const slowest = new Map<string, { ms: number; status: number; size: number }>();
const statuses = new Map<string, Map<number, number>>();

beforeAll(async () => {
  repo = await startRepository();
  await call(repo.app, 'PUT', '/v1/tables/fz', {
    store: 'mysql',
    database: 'shop',
    keyColumns: ['id'],
  });
}, 60_000);

afterAll(async () => {
  const rows = [...slowest].map(([endpoint, { ms, status, size }]) => {
    const counts = [...(statuses.get(endpoint) ?? [])]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    return `  ${endpoint}: slowest ${ms.toFixed(1)} ms (${status}, ${size} bytes); ${counts}`;
  });
  process.stdout.write(`\nschema endpoints fuzz, ${FUZZ_RUNS} inputs each:\n${rows.join('\n')}\n`);
  await repo?.close();
});

/** 400: the body is not JSON; 413: over the body limit; 404: no such subject or version. */
const HONEST: Record<string, number[]> = {
  register: [200, 400, 409, 413, 422],
  lookup: [200, 400, 404, 413, 422],
  compatibility: [200, 400, 404, 413, 422],
  model: [200, 400, 409, 413, 422],
};

/** One request; the status is honest for the endpoint and the body has the right shape. */
async function exchange(endpoint: string, method: 'POST', url: string, body: unknown) {
  const payload = body instanceof Raw ? body.text : JSON.stringify(body);
  const start = performance.now();
  const answer = await call(repo.app, method, url, payload);
  const ms = performance.now() - start;
  const known = slowest.get(endpoint);
  if (!known || ms > known.ms)
    slowest.set(endpoint, { ms, status: answer.status, size: payload.length });
  const counts = statuses.get(endpoint) ?? new Map<number, number>();
  counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
  statuses.set(endpoint, counts);

  expect({ url, status: answer.status, honest: HONEST[endpoint]!.includes(answer.status) }).toEqual(
    {
      url,
      status: answer.status,
      honest: true,
    },
  );
  if (answer.status !== 200) {
    const error = answer.body as { error_code: number; message: string };
    expect(Object.keys(error).sort()).toEqual(['error_code', 'message']);
    expect(String(error.error_code).slice(0, 3)).toBe(String(answer.status));
    expect(Object.keys(REGISTRY_ERROR_CODES)).toContain(String(error.error_code));
    expect(typeof error.message).toBe('string');
  }
  return answer;
}

/** A body sent as it is, not as JSON. */
class Raw {
  constructor(readonly text: string) {}
}

/** A request body for register, lookup or compatibility: mostly well-formed, sometimes not. */
function registrationBody(draw: Draw, text: string): unknown {
  switch (draw.int(0, 9)) {
    case 0:
      return {
        schema: JSON.parse(JSON.stringify(text)),
        schemaType: draw.pick(['AVRO', 'avro', 'PROTOBUF', '', 7]),
      };
    case 1:
      return {
        schema: text,
        references: draw.pick([
          [],
          'nope',
          [{ name: 'X', subject: 'fz0-0-value', version: 1 }],
          [{ name: 'X', subject: 'missing', version: 1 }],
          [{ name: 'X', subject: 'fz1-0-value', version: -1 }],
          [null],
          [{ name: 5 }],
        ]),
      };
    case 2:
      // The schema as JSON rather than as a string, nested however deep.
      return safeJson(text) === undefined
        ? new Raw(`{"schema":${text}}`)
        : { schema: safeJson(text) };
    case 3:
      return draw.pick([
        null,
        5,
        'text',
        [],
        {},
        { schema: '' },
        { schema: 5 },
        { schema: { type: 'int' } },
      ]);
    case 4:
      return {
        schema: text,
        id: draw.pick([1, -1, 'x', 2 ** 40]),
        version: draw.pick([1, 0, 'x']),
      };
    default:
      return { schema: text };
  }
}

/** The schema as a JSON value, when it is one this test can serialize again. */
function safeJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    JSON.stringify(value);
    return value;
  } catch {
    return undefined;
  }
}

const schemaText = fc.oneof(
  { arbitrary: fc.gen().map((g) => JSON.stringify(plausibleSchema(drawFrom(g)))), weight: 4 },
  {
    arbitrary: fc.gen().map((g) => {
      const draw = drawFrom(g);
      const base = plausibleSchema(draw);
      return JSON.stringify(draw.chance(50) ? mutate(draw, base) : evolve(draw, base));
    }),
    weight: 3,
  },
  { arbitrary: hostileText, weight: 1 },
  { arbitrary: adversarial.map(({ text }) => text), weight: 1 },
);

const request = fc.tuple(schemaText, fc.gen()).map(([text, g]) => {
  const draw = drawFrom(g);
  return { level: draw.int(0, LEVELS.length - 1), body: registrationBody(draw, text), draw };
});

const params = { numRuns: FUZZ_RUNS, endOnFailure: true };
const LONG = Math.max(120_000, FUZZ_RUNS * 100);

describe('schema endpoints under random and hostile input', () => {
  it(
    'registers or refuses every body honestly',
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async ({ level, body }) => {
          const subject = await subjectAt(level);
          const answer = await exchange('register', 'POST', `/subjects/${subject}/versions`, body);
          if (answer.status === 200) {
            expect(Object.keys(answer.body as object)).toEqual(['id']);
          }
        }),
        params,
      );
    },
    LONG,
  );

  it(
    'looks up every body honestly',
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async ({ level, body, draw }) => {
          const target = draw.chance(20) ? 'never-registered-value' : await subjectAt(level);
          const answer = await exchange('lookup', 'POST', `/subjects/${target}`, body);
          if (answer.status === 200) {
            expect(answer.body).toMatchObject({
              subject: target,
              version: expect.any(Number),
              id: expect.any(Number),
            });
          }
        }),
        params,
      );
    },
    LONG,
  );

  it(
    'checks compatibility of every body honestly, against the latest, a version or all',
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async ({ level, body, draw }) => {
          const subject = await subjectAt(level);
          const version = draw.pick(['/latest', '/1', '/3', '', '/-1', '/0', '/x']);
          const verbose = draw.chance(50) ? '?verbose=true' : '';
          const url = `/compatibility/subjects/${subject}/versions${version}${verbose}`;
          const answer = await exchange('compatibility', 'POST', url, body);
          if (answer.status === 200) {
            expect(typeof (answer.body as { is_compatible: unknown }).is_compatible).toBe(
              'boolean',
            );
          }
        }),
        params,
      );
    },
    LONG,
  );

  it(
    'registers or refuses every data model honestly',
    async () => {
      const columns = [
        'long',
        'int',
        'string',
        ['null', 'string'],
        { type: 'long', logicalType: 'timestamp-micros' },
        'bytes',
        'map',
        ['int', 'null'],
      ];
      await fc.assert(
        fc.asyncProperty(fc.oneof(schemaText, fc.constant('')), fc.gen(), async (text, g) => {
          const draw = drawFrom(g);
          const model =
            draw.chance(60) || text === ''
              ? {
                  type: 'record',
                  name: draw.pick(['Fz', 'Other', 'ns.Fz']),
                  fields: [
                    { name: 'id', type: draw.pick(['long', 'long', ['null', 'long']]) },
                    ...Array.from({ length: draw.int(0, 4) }, (_, i) => ({
                      name: draw.pick([`c${i}`, 'wail_ts', `c${i}`]),
                      type: draw.pick(columns),
                      ...(draw.chance(50) ? { default: null } : {}),
                    })),
                  ],
                }
              : (safeJson(text) ?? text);
          const body = draw.chance(80)
            ? {
                schema: draw.chance(50) ? model : JSON.stringify(model),
                ...(draw.chance(20) ? { eventTopic: draw.pick(['t.x', 'bad topic', 5]) } : {}),
              }
            : draw.pick([{}, null, { schema: null }, { schema: 5 }]);
          await exchange('model', 'POST', '/v1/models/fz/versions', body);
        }),
        params,
      );
    },
    LONG,
  );

  it('still answers afterwards', async () => {
    const subjects = await call(repo.app, 'GET', '/subjects');
    expect(subjects.status).toBe(200);
    expect((await call(repo.app, 'GET', '/readyz')).status).toBe(200);
  });
});
