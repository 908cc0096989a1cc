import { performance } from 'node:perf_hooks';
import { startServiceProcess, uniqueName, type ServiceProcess } from '@wail/testing';
import { call, dropDatabase, startRepository } from './support';

/**
 * Issue 9, item 3: a 2 KB schema used to hold the repository's event loop
 * for ~27 s. Against a repository process of its own (so its event loop is
 * the one measured) on a fresh MariaDB database: the adversarial schema is
 * answered quickly on register and on the compatibility endpoints while
 * another client is served, and schemas over a bound are 422 naming it.
 * Latencies are printed; the asserted limits are generous, for a shared
 * machine.
 */
const database = uniqueName('wail_bounds');
const V1 = 'application/vnd.schemaregistry.v1+json';
let repository: ServiceProcess;
const figures: string[] = [];

beforeAll(async () => {
  repository = await startServiceProcess('repository', { WAIL_REPOSITORY_DATABASE: database });
}, 90_000);

afterAll(async () => {
  await repository?.stop();
  await dropDatabase(database);
  process.stdout.write(`\nschema bounds over HTTP:\n${figures.map((f) => `  ${f}`).join('\n')}\n`);
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  ms: number;
}

async function send(method: string, path: string, body?: unknown): Promise<Answer> {
  const start = performance.now();
  const response = await fetch(`${repository.url}${path}`, {
    method,
    headers: { 'content-type': V1 },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const ms = performance.now() - start;
  return { status: response.status, body: text ? (JSON.parse(text) as never) : {}, ms };
}

const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'record',
  name,
  fields,
  ...extra,
});

/** The issue's schema: 24 levels, each defining the next inline and referring to it by name again. */
function issueSchema(leaf: unknown[] = [{ name: 'x', type: 'int' }]): string {
  const level = (i: number): unknown =>
    i === 24
      ? record(`L${i}`, leaf)
      : record(`L${i}`, [
          { name: 'a', type: level(i + 1) },
          { name: 'b', type: `L${i + 1}` },
        ]);
  return JSON.stringify(level(0));
}

describe('the schema of issue 9 over HTTP', () => {
  const subject = 'issue9-value';
  const compatible = issueSchema([
    { name: 'x', type: 'int' },
    { name: 'y', type: ['null', 'string'], default: null },
  ]);
  const incompatible = issueSchema([{ name: 'x', type: 'string' }]);

  it('registers it, then a compatible version, checking compatibility in well under a second', async () => {
    const first = await send('POST', `/subjects/${subject}/versions`, { schema: issueSchema() });
    expect(first).toMatchObject({ status: 200, body: { id: expect.any(Number) } });
    const second = await send('POST', `/subjects/${subject}/versions`, { schema: compatible });
    expect(second).toMatchObject({ status: 200, body: { id: expect.any(Number) } });
    figures.push(
      `register the ${issueSchema().length}-character schema: ${first.ms.toFixed(1)} ms; a compatible version (BACKWARD check): ${second.ms.toFixed(1)} ms`,
    );
    expect(second.ms).toBeLessThan(2000);
  });

  it('answers the compatibility endpoints quickly, with the reasons when incompatible', async () => {
    const latest = await send(
      'POST',
      `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
      { schema: incompatible },
    );
    expect(latest.status).toBe(200);
    expect(latest.body['is_compatible']).toBe(false);
    expect(latest.body['messages']).toEqual(
      expect.arrayContaining([expect.stringContaining('TYPE_MISMATCH')]),
    );
    const all = await send('POST', `/compatibility/subjects/${subject}/versions`, {
      schema: compatible,
    });
    expect(all).toMatchObject({ status: 200, body: { is_compatible: true } });
    const refused = await send('POST', `/subjects/${subject}/versions`, { schema: incompatible });
    expect(refused).toMatchObject({ status: 409, body: { error_code: 409 } });
    figures.push(
      `compatibility, latest (incompatible): ${latest.ms.toFixed(1)} ms; all versions: ${all.ms.toFixed(1)} ms; register refused 409: ${refused.ms.toFixed(1)} ms`,
    );
    for (const answer of [latest, all, refused]) expect(answer.ms).toBeLessThan(2000);
  });

  it('keeps serving other clients while it checks: a concurrent GET is answered at once', async () => {
    await send('PUT', `/config/${subject}`, { compatibility: 'FULL_TRANSITIVE' });
    const schemas = [
      issueSchema([
        { name: 'x', type: 'int' },
        { name: 'z', type: 'long', default: 0 },
      ]),
      incompatible,
    ];
    for (const schema of schemas) {
      const check = send('POST', `/compatibility/subjects/${subject}/versions?verbose=true`, {
        schema,
      });
      const register = send('POST', `/subjects/${subject}/versions`, { schema });
      // Sent after both, so it queues behind them on the repository's event loop.
      const other = send('GET', '/subjects');
      const [checked, registered, got] = await Promise.all([check, register, other]);
      expect(checked.status).toBe(200);
      expect([200, 409]).toContain(registered.status);
      expect(got).toMatchObject({ status: 200 });
      expect(got.body).toEqual(expect.arrayContaining([subject]));
      figures.push(
        `FULL_TRANSITIVE over ${registered.status === 200 ? 'all' : 'the'} versions: check ${checked.ms.toFixed(1)} ms, register ${registered.status} ${registered.ms.toFixed(1)} ms, concurrent GET /subjects ${got.ms.toFixed(1)} ms`,
      );
      expect(got.ms).toBeLessThan(1000);
    }
  });
});

describe('schemas over a bound, on every endpoint that parses one', () => {
  const deep = (levels: number) => {
    let type: unknown = 'int';
    for (let i = levels - 1; i >= 0; i--) type = record(`D${i}`, [{ name: 'd', type }]);
    return JSON.stringify(type);
  };
  const wide = (branches: number) =>
    JSON.stringify(
      record('W', [
        {
          name: 'u',
          type: Array.from({ length: branches }, (_, i) => ({
            type: 'fixed',
            name: `F${i}`,
            size: i,
          })),
        },
      ]),
    );
  const many = (named: number) =>
    JSON.stringify(
      record(
        'M',
        Array.from({ length: named - 1 }, (_, i) => ({
          name: `f${i}`,
          type: { type: 'enum', name: `E${i}`, symbols: ['A'] },
        })),
      ),
    );
  const namespace = Array.from({ length: 200 }, (_, i) => `part${i}`).join('.');
  const longName = JSON.stringify(record('R', [], { namespace }));

  const cases: [string, string, RegExp][] = [
    ['nesting 65 deep', deep(65), /types nest deeper than the limit of 64 levels/],
    ['a union of 101 branches', wide(101), /101 branches, more than the limit of 100/],
    ['1,001 named types', many(1001), /more than the limit of 1000 named types/],
    [
      `a full name of ${namespace.length + 2} characters`,
      longName,
      /longer than the limit of 1000 characters/,
    ],
  ];

  beforeAll(async () => {
    await send('POST', '/subjects/bounded-value/versions', { schema: '"string"' });
  });

  it.each(cases)('refuses %s with 422 42201 naming the bound', async (_label, schema, says) => {
    const endpoints: [string, string][] = [
      ['POST', '/subjects/bounded-value/versions'],
      ['POST', '/subjects/bounded-value'],
      ['POST', '/compatibility/subjects/bounded-value/versions/latest'],
      ['POST', '/compatibility/subjects/bounded-value/versions'],
    ];
    for (const [method, path] of endpoints) {
      const answer = await send(method, path, { schema });
      expect({ path, status: answer.status, code: answer.body['error_code'] }).toEqual({
        path,
        status: 422,
        code: 42201,
      });
      expect(answer.body['message']).toMatch(/^Invalid schema: /);
      expect(answer.body['message']).toMatch(says);
      expect(answer.ms).toBeLessThan(2000);
    }
    // Within the bound, the same endpoints answer as usual.
    expect((await send('POST', '/subjects/bounded-value', { schema: '"string"' })).status).toBe(
      200,
    );
  });

  it('refuses schema text over 1,000,000 characters with 422 42209', async () => {
    const answer = await send('POST', '/subjects/bounded-value/versions', {
      schema: `${' '.repeat(1_000_000)}"int"`,
    });
    expect(answer).toMatchObject({
      status: 422,
      body: { error_code: 42209, message: 'Schema is larger than 1000000 characters' },
    });
  });

  it('refuses a data model over a bound with 422 42242 naming it', async () => {
    const route = await send('PUT', '/v1/tables/bounded', {
      store: 'mysql',
      database: 'shop',
      keyColumns: ['id'],
    });
    expect(route.status).toBe(200);
    const union = {
      type: 'record',
      name: 'Bounded',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'u', type: JSON.parse(wide(101)).fields[0].type },
      ],
    };
    const answer = await send('POST', '/v1/models/bounded/versions', { schema: union });
    expect(answer.status).toBe(422);
    expect(answer.body['error_code']).toBe(42242);
    expect(answer.body['message']).toMatch(/101 branches, more than the limit of 100/);
    const nested = JSON.parse(deep(200)) as Record<string, unknown>;
    const deepModel = await send('POST', '/v1/models/bounded/versions', { schema: nested });
    expect(deepModel).toMatchObject({ status: 422, body: { error_code: 42242 } });
    expect(deepModel.body['message']).toMatch(/limit of 64 levels/);
  });

  it('refuses a schema sent as JSON that nests too deep to serialize, with 422', async () => {
    const levels = 20_000;
    const body = `{"schema":${'{"type":"array","items":'.repeat(levels)}"int"${'}'.repeat(levels)}}`;
    const response = await fetch(`${repository.url}/subjects/bounded-value/versions`, {
      method: 'POST',
      headers: { 'content-type': V1 },
      body,
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error_code: 42201 });
  });
});

describe('references', () => {
  it('resolves a chain where each schema refers to the one before twice once per schema, not once per path', async () => {
    // Level i refers to level i-1 twice: resolving level 18 along every path
    // would fetch level 0 2^18 times.
    const levels = 18;
    for (let i = 0; i <= levels; i++) {
      const fields =
        i === 0
          ? [{ name: 'x', type: 'int' }]
          : [
              { name: 'a', type: `C${i - 1}` },
              { name: 'b', type: `C${i - 1}` },
            ];
      const reference = { name: `C${i - 1}`, subject: `chain-${i - 1}`, version: 1 };
      const answer = await send('POST', `/subjects/chain-${i}/versions`, {
        schema: JSON.stringify(record(`C${i}`, fields)),
        ...(i === 0 ? {} : { references: [reference, reference] }),
      });
      expect({ level: i, status: answer.status }).toEqual({ level: i, status: 200 });
      if (i === levels) {
        figures.push(
          `register level ${levels} of a chain of double references: ${answer.ms.toFixed(1)} ms`,
        );
        expect(answer.ms).toBeLessThan(5000);
      }
    }
    const again = await send('POST', `/compatibility/subjects/chain-${levels}/versions/latest`, {
      schema: JSON.stringify(
        record(`C${levels}`, [
          { name: 'a', type: `C${levels - 1}` },
          { name: 'b', type: `C${levels - 1}` },
        ]),
      ),
      references: [{ name: `C${levels - 1}`, subject: `chain-${levels - 1}`, version: 1 }],
    });
    expect(again).toMatchObject({ status: 200, body: { is_compatible: true } });
  });

  it('refuses more than 100 referenced schemas with 422 naming the limit', async () => {
    const references = Array.from({ length: 101 }, (_, i) => ({
      name: `Ref${i}`,
      subject: `ref-${i}`,
      version: 1,
    }));
    for (const { name, subject } of references) {
      expect(
        (
          await send('POST', `/subjects/${subject}/versions`, {
            schema: JSON.stringify(record(name, [])),
          })
        ).status,
      ).toBe(200);
    }
    const answer = await send('POST', '/subjects/many-refs-value/versions', {
      schema: JSON.stringify(
        record(
          'ManyRefs',
          references.map(({ name }, i) => ({ name: `r${i}`, type: name })),
        ),
      ),
      references,
    });
    expect(answer).toMatchObject({ status: 422, body: { error_code: 42201 } });
    expect(answer.body['message']).toMatch(/more than the limit of 100 referenced schemas/);
  });
});

describe('configured bounds', () => {
  it('applies WAIL_REPOSITORY_SCHEMA_* to every schema sent', async () => {
    const configured = await startRepository({
      WAIL_REPOSITORY_SCHEMA_MAX_UNION_BRANCHES: '3',
      WAIL_REPOSITORY_SCHEMA_MAX_DEPTH: '4',
    });
    try {
      const union = JSON.stringify(['null', 'int', 'string', 'long']);
      expect(
        await call(configured.app, 'POST', '/subjects/narrow-value/versions', { schema: union }),
      ).toMatchObject({
        status: 422,
        body: {
          error_code: 42201,
          message: expect.stringContaining('a union has 4 branches, more than the limit of 3'),
        },
      });
      const five = JSON.stringify({
        type: 'array',
        items: { type: 'array', items: { type: 'array', items: { type: 'array', items: 'int' } } },
      });
      expect(
        await call(configured.app, 'POST', '/subjects/narrow-value/versions', { schema: five }),
      ).toMatchObject({
        status: 422,
        body: { message: expect.stringContaining('deeper than the limit of 4 levels') },
      });
      const three = JSON.stringify(['null', 'int', 'string']);
      expect(
        (await call(configured.app, 'POST', '/subjects/narrow-value/versions', { schema: three }))
          .status,
      ).toBe(200);
    } finally {
      await configured.close();
    }
  });
});
