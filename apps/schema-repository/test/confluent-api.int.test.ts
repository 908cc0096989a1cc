import { A1, A2, A3, call, record, startRepository, type TestRepository } from './support';

/**
 * The Confluent Schema Registry REST contract, case by case (the checklist in
 * shared/reference/confluent-schema-registry.md), against a real MariaDB.
 */
let repo: TestRepository;
let n = 0;
const fresh = (prefix = 's') => `${prefix}-${++n}-value`;
const get = (url: string, headers?: Record<string, string>) =>
  call(repo.app, 'GET', url, undefined, headers);
const post = (url: string, body: unknown, headers?: Record<string, string>) =>
  call(repo.app, 'POST', url, body, headers);
const put = (url: string, body: unknown) => call(repo.app, 'PUT', url, body);
const del = (url: string) => call(repo.app, 'DELETE', url);
const register = (subject: string, schema: string, extra: Record<string, unknown> = {}) =>
  post(`/subjects/${encodeURIComponent(subject)}/versions`, { schema, ...extra });

beforeAll(async () => {
  repo = await startRepository();
});
afterAll(async () => {
  await repo.close();
});

describe('envelope and transport', () => {
  it('answers a registration with exactly {"id":N}', async () => {
    const answer = await register(fresh(), A1);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body as object)).toEqual(['id']);
    expect(typeof (answer.body as { id: number }).id).toBe('number');
  });

  it.each([
    'application/vnd.schemaregistry+json',
    'application/json',
    'application/octet-stream',
    'application/vnd.schemaregistry.v1+json; charset=utf-8',
  ])('accepts request bodies of type %s', async (type) => {
    const answer = await call(
      repo.app,
      'POST',
      `/subjects/${fresh()}/versions`,
      { schema: A1 },
      { 'content-type': type },
    );
    expect(answer.status).toBe(200);
  });

  it('serves body-less GET and DELETE that carry a JSON content type', async () => {
    const subject = fresh();
    await register(subject, A1);
    expect((await get(`/subjects/${subject}/versions`)).status).toBe(200);
    expect((await del(`/subjects/${subject}/versions/1`)).body).toBe(1);
  });

  it('negotiates the response type from Accept', async () => {
    expect((await get('/subjects')).type).toMatch(/^application\/vnd\.schemaregistry\.v1\+json/);
    expect((await get('/subjects', { accept: 'application/json' })).type).toMatch(
      /^application\/json/,
    );
    const weighted = await get('/subjects', {
      accept:
        'application/vnd.schemaregistry.v2+json;q=0.1, application/vnd.schemaregistry+json;q=0.9',
    });
    expect(weighted.type).toMatch(/^application\/vnd\.schemaregistry\+json/);
    expect((await get('/subjects', { accept: '*/*' })).type).toMatch(
      /^application\/vnd\.schemaregistry\.v1\+json/,
    );
  });

  it('answers 406 and 415 in the Confluent error shape', async () => {
    expect(await get('/subjects', { accept: 'text/*' })).toMatchObject({
      status: 406,
      body: { error_code: 406, message: 'HTTP 406 Not Acceptable' },
    });
    const html = await call(repo.app, 'POST', `/subjects/${fresh()}/versions`, '<p>', {
      'content-type': 'text/html',
    });
    expect(html).toMatchObject({ status: 415, body: { error_code: 415 } });
  });

  it('ignores unknown body fields and query parameters', async () => {
    const answer = await call(
      repo.app,
      'POST',
      `/subjects/${fresh()}/versions?normalize=false&fetchMaxId=false&subject=x`,
      { schema: A1, metadata: { properties: {} }, foo: 1 },
    );
    expect(answer.status).toBe(200);
  });

  it('rejects a missing schema with 42201 and malformed JSON with a 4xx error body', async () => {
    expect(await post(`/subjects/${fresh()}/versions`, { schemaType: 'AVRO' })).toMatchObject({
      status: 422,
      body: { error_code: 42201, message: 'Empty schema' },
    });
    const malformed = await post(`/subjects/${fresh()}/versions`, '{"schema": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error_code: 400 });
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    expect(await get('/no/such/route')).toMatchObject({ status: 404, body: { error_code: 404 } });
  });

  it('keeps a URL-encoded / inside a subject across register, get and delete', async () => {
    const subject = `a/b-${++n}`;
    const encoded = encodeURIComponent(subject);
    expect((await register(subject, A1)).status).toBe(200);
    expect((await get(`/subjects/${encoded}/versions/1`)).body).toMatchObject({
      subject,
      version: 1,
    });
    expect((await get('/subjects')).body).toContain(subject);
    expect((await del(`/subjects/${encoded}`)).body).toEqual([1]);
  });
});

describe('register, lookup, ids', () => {
  it('registers version 1 and is idempotent for the same schema', async () => {
    const subject = fresh();
    const first = (await register(subject, A1)).body as { id: number };
    expect((await get(`/subjects/${subject}/versions`)).body).toEqual([1]);
    expect((await register(subject, A1)).body).toEqual(first);
    expect((await get(`/subjects/${subject}/versions`)).body).toEqual([1]);
  });

  it('gives whitespace and key-order variants the same id', async () => {
    const subject = fresh();
    const { id } = (await register(subject, A1)).body as { id: number };
    const variant =
      '{ "fields": [ { "name": "f1", "type": "string" } ], "name": "myrecord", "type": "record" }';
    expect((await register(subject, variant)).body).toEqual({ id });
  });

  it('treats {"type":"string"} and "string" as one schema and returns "string"', async () => {
    const subject = fresh();
    const a = (await register(subject, '{"type":"string"}')).body as { id: number };
    const b = (await register(subject, '"string"')).body as { id: number };
    expect(a).toEqual(b);
    expect((await get(`/schemas/ids/${a.id}`)).body).toEqual({ schema: '"string"' });
  });

  it('reuses the id across subjects, as version 1 of the other subject', async () => {
    const s = fresh();
    const t = fresh();
    const { id } = (await register(s, A1)).body as { id: number };
    expect((await register(t, A1)).body).toEqual({ id });
    expect((await get(`/subjects/${t}/versions/1`)).body).toMatchObject({ id, version: 1 });
  });

  it('gives different ids to schemas that differ only in doc or default', async () => {
    const base = record('docs', [{ name: 'f', type: 'string' }]);
    const withDoc = record('docs', [{ name: 'f', type: 'string' }], { doc: 'a doc' });
    const withDefault = record('docs', [{ name: 'f', type: 'string', default: 'x' }]);
    const ids = await Promise.all(
      [base, withDoc, withDefault].map(
        async (schema) => ((await register(fresh(), schema)).body as { id: number }).id,
      ),
    );
    expect(new Set(ids).size).toBe(3);
  });

  it('serves a schema by id without schemaType for Avro, and 40403 for an unknown id', async () => {
    const { id } = (await register(fresh(), A1)).body as { id: number };
    const answer = (await get(`/schemas/ids/${id}`)).body as Record<string, string>;
    expect(Object.keys(answer)).toEqual(['schema']);
    expect(JSON.parse(answer['schema']!)).toEqual(JSON.parse(A1));
    expect(await get('/schemas/ids/999999')).toMatchObject({
      status: 404,
      body: { error_code: 40403, message: 'Schema 999999 not found' },
    });
  });

  it('lists the subjects and versions of an id, and serves raw schemas', async () => {
    const s = fresh();
    const t = fresh();
    const { id } = (await register(s, A2)).body as { id: number };
    await register(t, A2);
    expect((await get(`/schemas/ids/${id}/subjects`)).body).toEqual([s, t].sort());
    expect((await get(`/schemas/ids/${id}/versions`)).body).toEqual(
      [
        { subject: s, version: 1 },
        { subject: t, version: 1 },
      ].sort((a, b) => a.subject.localeCompare(b.subject)),
    );
    expect((await get(`/schemas/ids/${id}/schema`)).body).toEqual(JSON.parse(A2));
    expect((await get(`/subjects/${s}/versions/1/schema`)).body).toEqual(JSON.parse(A2));
  });

  it('looks a schema up in a subject, or answers 40403 / 40401', async () => {
    const subject = fresh();
    const { id } = (await register(subject, A1)).body as { id: number };
    expect((await post(`/subjects/${subject}`, { schema: A1 })).body).toMatchObject({
      subject,
      id,
      version: 1,
      schema: expect.any(String),
    });
    expect(await post(`/subjects/${subject}`, { schema: A2 })).toMatchObject({
      status: 404,
      body: { error_code: 40403, message: 'Schema not found' },
    });
    expect(await post('/subjects/Missing-subject', { schema: A1 })).toMatchObject({
      status: 404,
      body: { error_code: 40401, message: "Subject 'Missing-subject' not found." },
    });
  });

  it('rejects invalid Avro, a bad default and an unknown schema type with 42201', async () => {
    expect(
      (await register(fresh(), record('bad', [{ name: 'f', type: 'str' }]))).body,
    ).toMatchObject({ error_code: 42201 });
    expect(
      (await register(fresh(), record('bad', [{ name: 'f', type: 'string', default: null }]))).body,
    ).toMatchObject({
      error_code: 42201,
    });
    expect(await register(fresh(), A1, { schemaType: 'FOO' })).toMatchObject({
      status: 422,
      body: { error_code: 42201, message: 'Invalid schema type FOO' },
    });
    expect((await get('/schemas/types')).body).toEqual(['AVRO']);
  });

  it('rejects a subject with control characters with 42208', async () => {
    expect((await register('\rbad\n', A1)).body).toMatchObject({ error_code: 42208 });
  });

  it('resolves references, lists referrers and refuses to delete a referenced version', async () => {
    const address = `address-${++n}`;
    await register(
      address,
      record('Address', [{ name: 'city', type: 'string' }], { namespace: 'shop' }),
    );
    const customer = fresh('customer');
    const answer = await register(
      customer,
      record('Customer', [{ name: 'home', type: 'shop.Address' }], { namespace: 'shop' }),
      {
        references: [{ name: 'shop.Address', subject: address, version: 1 }],
      },
    );
    expect(answer.status).toBe(200);
    const { id } = answer.body as { id: number };
    expect((await get(`/schemas/ids/${id}`)).body).toMatchObject({
      references: [{ name: 'shop.Address', subject: address, version: 1 }],
    });
    expect((await get(`/subjects/${address}/versions/1/referencedby`)).body).toEqual([id]);
    expect((await del(`/subjects/${address}/versions/1`)).body).toMatchObject({
      error_code: 42206,
    });
    const missing = await register(
      fresh(),
      record('C2', [{ name: 'home', type: 'shop.Address' }]),
      {
        references: [{ name: 'shop.Address', subject: 'no-such-subject', version: 1 }],
      },
    );
    expect(missing.body).toMatchObject({ error_code: 42201 });
  });
});

describe('versions', () => {
  it('resolves latest and -1 to the highest live version', async () => {
    const subject = fresh();
    await register(subject, A1);
    await register(subject, A2);
    const latest = (await get(`/subjects/${subject}/versions/latest`)).body;
    expect(latest).toMatchObject({ version: 2 });
    expect((await get(`/subjects/${subject}/versions/-1`)).body).toEqual(latest);
  });

  it.each(['0', '-2', 'abc'])(
    'answers 42202 with the exact message for version %s',
    async (version) => {
      const subject = fresh();
      await register(subject, A1);
      expect(await get(`/subjects/${subject}/versions/${version}`)).toMatchObject({
        status: 422,
        body: {
          error_code: 42202,
          message: `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2147483647] and the string "latest"`,
        },
      });
    },
  );

  it('answers 40402 for a missing version and 40401 for a missing subject', async () => {
    const subject = fresh();
    await register(subject, A1);
    expect(await get(`/subjects/${subject}/versions/5`)).toMatchObject({
      status: 404,
      body: { error_code: 40402, message: 'Version 5 not found.' },
    });
    expect((await get('/subjects/nope-nope/versions/1')).body).toMatchObject({ error_code: 40401 });
  });

  it('lists live subjects, with deleted ones on request or only', async () => {
    const live = fresh('live');
    const gone = fresh('gone');
    await register(live, A1);
    await register(gone, A1);
    await del(`/subjects/${gone}`);
    const plain = (await get('/subjects')).body as string[];
    expect(plain).toContain(live);
    expect(plain).not.toContain(gone);
    expect((await get('/subjects?deleted=true')).body).toEqual(
      expect.arrayContaining([live, gone]),
    );
    const only = (await get('/subjects?deletedOnly=true')).body as string[];
    expect(only).toContain(gone);
    expect(only).not.toContain(live);
  });
});

describe('compatibility', () => {
  async function subjectWith(level: string | undefined, ...schemas: string[]): Promise<string> {
    const subject = fresh('compat');
    if (level) expect((await put(`/config/${subject}`, { compatibility: level })).status).toBe(200);
    for (const schema of schemas) expect((await register(subject, schema)).status).toBe(200);
    return subject;
  }

  it('BACKWARD accepts a field with a default and answers HTTP 409 for one without', async () => {
    const subject = await subjectWith(undefined, A1);
    expect((await register(subject, A2)).status).toBe(200);
    const other = await subjectWith(undefined, A1);
    const refused = await register(other, A3);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error_code: 409 });
    expect((refused.body as { message: string }).message).toMatch(
      /^Schema being registered is incompatible with an earlier schema for subject "/,
    );
    expect((refused.body as { message: string }).message).toContain(
      'READER_FIELD_MISSING_DEFAULT_VALUE',
    );
  });

  it('BACKWARD checks only the latest version; BACKWARD_TRANSITIVE checks all', async () => {
    expect((await register(await subjectWith(undefined, A1, A2), A3)).status).toBe(200);
    expect((await register(await subjectWith('BACKWARD_TRANSITIVE', A1, A2), A3)).status).toBe(409);
  });

  it('FORWARD accepts a new field without default and refuses removing a field the old schema needs', async () => {
    expect((await register(await subjectWith('FORWARD', A1), A3)).status).toBe(200);
    expect((await register(await subjectWith('FORWARD', A3), A1)).status).toBe(409);
  });

  it('FULL and FULL_TRANSITIVE follow the vectors; NONE accepts anything', async () => {
    expect((await register(await subjectWith('FULL', A1), A2)).status).toBe(200);
    expect((await register(await subjectWith('FULL_TRANSITIVE', A2, A1), A3)).status).toBe(409);
    expect(
      (await register(await subjectWith('NONE', A1), record('other', [{ name: 'x', type: 'int' }])))
        .status,
    ).toBe(200);
  });

  it('excludes soft-deleted versions from the check', async () => {
    const subject = await subjectWith('BACKWARD_TRANSITIVE', A1, A2);
    expect((await register(subject, A3)).status).toBe(409);
    await del(`/subjects/${subject}/versions/1`);
    expect((await register(subject, A3)).status).toBe(200);
  });

  it('tests compatibility without registering, verbose on request', async () => {
    const subject = await subjectWith(undefined, A1);
    expect(
      (await post(`/compatibility/subjects/${subject}/versions/latest`, { schema: A2 })).body,
    ).toEqual({ is_compatible: true });
    expect(
      (await post(`/compatibility/subjects/${subject}/versions/latest`, { schema: A3 })).body,
    ).toEqual({ is_compatible: false });
    const verbose = (
      await post(`/compatibility/subjects/${subject}/versions/latest?verbose=true`, { schema: A3 })
    ).body as {
      is_compatible: boolean;
      messages: string[];
    };
    expect(verbose.is_compatible).toBe(false);
    expect(verbose.messages.join(' ')).toContain(
      "The field 'f2' at path '/fields/1' in the new schema has no default value",
    );
    expect(
      (await post(`/compatibility/subjects/${subject}/versions`, { schema: A3 })).body,
    ).toEqual({ is_compatible: false });
    expect((await get(`/subjects/${subject}/versions`)).body).toEqual([1]);
  });

  it('is compatible with a missing subject at latest, 40402 for a missing version, 42202 for earliest', async () => {
    expect(
      (await post('/compatibility/subjects/never-registered/versions/latest', { schema: A1 })).body,
    ).toEqual({ is_compatible: true });
    const subject = await subjectWith(undefined, A1);
    expect(
      (await post(`/compatibility/subjects/${subject}/versions/7`, { schema: A1 })).body,
    ).toMatchObject({ error_code: 40402 });
    expect(
      (await post(`/compatibility/subjects/${subject}/versions/earliest`, { schema: A1 })).body,
    ).toMatchObject({ error_code: 42202 });
  });

  it('accepts an added union branch and an alias rename, refuses a removed branch', async () => {
    const nullable = record('u', [{ name: 'f1', type: ['null', 'string'] }]);
    const wider = record('u', [{ name: 'f1', type: ['null', 'string', 'int'] }]);
    expect((await register(await subjectWith(undefined, nullable), wider)).status).toBe(200);
    expect((await register(await subjectWith(undefined, wider), nullable)).status).toBe(409);
    const renamed = record('myrecord', [{ name: 'f1_new', type: 'string', aliases: ['f1'] }]);
    expect((await register(await subjectWith(undefined, A1), renamed)).status).toBe(200);
  });
});

describe('config and mode', () => {
  it('defaults to BACKWARD, and echoes a global change back', async () => {
    expect((await get('/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await put('/config', { compatibility: 'FULL' })).body).toEqual({
      compatibility: 'FULL',
    });
    expect((await get('/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await put('/config', { compatibility: 'BOGUS' })).body).toMatchObject({
      error_code: 42203,
    });
    expect((await del('/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await get('/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('answers 40408 for a subject without config, the global level with defaultToGlobal', async () => {
    const subject = fresh();
    expect(await get(`/config/${subject}`)).toMatchObject({
      status: 404,
      body: { error_code: 40408 },
    });
    expect((await get(`/config/${subject}?defaultToGlobal=true`)).body).toEqual({
      compatibilityLevel: 'BACKWARD',
    });
  });

  it('sets a subject level before the subject exists, reads it back exactly, and deletes it', async () => {
    const subject = fresh();
    expect((await put(`/config/${subject}`, { compatibility: 'NONE' })).body).toEqual({
      compatibility: 'NONE',
    });
    expect((await get(`/config/${subject}`)).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await del(`/config/${subject}`)).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await get(`/config/${subject}`)).status).toBe(404);
  });

  it('lets the subject level override the global one', async () => {
    const subject = fresh();
    await register(subject, A1);
    await put(`/config/${subject}`, { compatibility: 'NONE' });
    expect((await register(subject, A3)).status).toBe(200);
  });

  it('READONLY refuses registration and deletes with 42205; a bad mode is 42204', async () => {
    const subject = fresh();
    await register(subject, A1);
    expect((await put(`/mode/${subject}`, { mode: 'READONLY' })).body).toEqual({
      mode: 'READONLY',
    });
    expect((await register(subject, A2)).body).toMatchObject({ error_code: 42205 });
    expect((await del(`/subjects/${subject}`)).body).toMatchObject({ error_code: 42205 });
    expect((await put(`/mode/${subject}`, { mode: 'BAD' })).body).toMatchObject({
      error_code: 42204,
    });
    expect((await del(`/mode/${subject}`)).body).toEqual({ mode: 'READONLY' });
    expect((await register(subject, A2)).status).toBe(200);
    expect((await get('/mode')).body).toEqual({ mode: 'READWRITE' });
  });

  it('IMPORT keeps explicit ids and versions; an explicit id outside IMPORT is 42205', async () => {
    expect((await register(fresh(), A1, { id: 5000 })).body).toMatchObject({ error_code: 42205 });
    const subject = fresh('import');
    expect((await put(`/mode/${subject}`, { mode: 'IMPORT' })).status).toBe(200);
    const imported = record('imported', [{ name: 'x', type: 'long' }]);
    expect((await register(subject, imported, { id: 424242, version: 7 })).body).toEqual({
      id: 424242,
    });
    expect((await get(`/subjects/${subject}/versions/7`)).body).toMatchObject({
      id: 424242,
      version: 7,
    });
    const busy = fresh('busy');
    await register(busy, A1);
    expect((await put(`/mode/${busy}`, { mode: 'IMPORT' })).body).toMatchObject({
      error_code: 42205,
    });
  });
});

describe('deletes', () => {
  it('soft-deletes a version once, hides it unless asked, and keeps its id resolvable', async () => {
    const subject = fresh();
    const { id } = (await register(subject, A1)).body as { id: number };
    await register(subject, A2);
    expect((await del(`/subjects/${subject}/versions/1`)).body).toBe(1);
    expect((await del(`/subjects/${subject}/versions/1`)).body).toMatchObject({
      error_code: 40406,
    });
    expect((await get(`/subjects/${subject}/versions/1`)).body).toMatchObject({
      error_code: 40402,
    });
    expect((await get(`/subjects/${subject}/versions/1?deleted=true`)).status).toBe(200);
    expect((await get(`/schemas/ids/${id}`)).status).toBe(200);
  });

  it('requires a soft delete before a permanent one', async () => {
    const subject = fresh();
    await register(subject, A1);
    expect((await del(`/subjects/${subject}/versions/1?permanent=true`)).body).toMatchObject({
      error_code: 40407,
    });
    expect((await del(`/subjects/${subject}?permanent=true`)).body).toMatchObject({
      error_code: 40405,
    });
  });

  it('never reuses a version number, and keeps the id through soft and hard deletes', async () => {
    const subject = fresh();
    const { id } = (await register(subject, A1)).body as { id: number };
    await register(subject, A2);
    expect((await del(`/subjects/${subject}`)).body).toEqual([1, 2]);
    expect((await register(subject, A1)).body).toEqual({ id });
    expect((await get(`/subjects/${subject}/versions`)).body).toEqual([3]);
    await del(`/subjects/${subject}`);
    expect((await del(`/subjects/${subject}?permanent=true`)).body).toEqual([2, 3]);
    expect((await register(subject, A1)).body).toEqual({ id });
  });

  it('answers 40401 for a missing subject and 40404 for a repeated soft delete', async () => {
    expect((await del('/subjects/Missing-subject')).body).toMatchObject({ error_code: 40401 });
    const subject = fresh();
    await register(subject, A1);
    await del(`/subjects/${subject}`);
    expect((await del(`/subjects/${subject}`)).body).toMatchObject({ error_code: 40404 });
  });
});
