import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { deadAddress, uniqueName } from '@wail/testing';
import { dropDatabase, record } from './support';

/**
 * Two repository processes on one database, hammered with concurrent
 * registrations of equal and distinct schemas: one id per distinct schema,
 * never two schemas on one id, no gaps in a subject's versions.
 */
const root = join(__dirname, '..', '..', '..');
const database = uniqueName('wail_repo_conc');
const processes: ChildProcess[] = [];
const urls: string[] = [];

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`repository exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not ready`);
}

async function register(
  url: string,
  subject: string,
  schema: string,
): Promise<{ status: number; id?: number }> {
  const response = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
  });
  const body = (await response.json()) as { id?: number };
  return { status: response.status, ...(body.id === undefined ? {} : { id: body.id }) };
}

async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

beforeAll(async () => {
  for (let index = 0; index < 2; index++) {
    const { port } = await deadAddress();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'apps/schema-repository/src/main.ts')],
      {
        cwd: root,
        env: {
          ...process.env,
          WAIL_REPOSITORY_PORT: String(port),
          WAIL_REPOSITORY_DATABASE: database,
          WAIL_LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      },
    );
    processes.push(child);
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(urls.map((url, index) => waitReady(url, processes[index]!)));
}, 60_000);

afterAll(async () => {
  await Promise.all(
    processes.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await dropDatabase(database);
});

describe('concurrent registration across two repository processes', () => {
  it('gives one id per distinct schema and gap-free versions', async () => {
    const shared = 'conc-shared-value';
    await fetch(`${urls[0]}/config/${shared}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ compatibility: 'NONE' }),
    });
    const equal = record('Equal', [{ name: 'x', type: 'long' }]);
    const distinct = Array.from({ length: 40 }, (_, i) =>
      record(`Distinct${i}`, [{ name: 'x', type: 'long' }]),
    );

    const jobs: Promise<{
      kind: string;
      subject: string;
      schema: string;
      status: number;
      id?: number;
    }>[] = [];
    // 30 registrations of one schema into three subjects, from both processes.
    for (let i = 0; i < 30; i++) {
      const subject = `conc-equal-${i % 3}-value`;
      jobs.push(
        register(urls[i % 2]!, subject, equal).then((r) => ({
          kind: 'equal',
          subject,
          schema: equal,
          ...r,
        })),
      );
    }
    // 40 distinct schemas into one subject (versions must come out 1..40), from both processes.
    distinct.forEach((schema, i) =>
      jobs.push(
        register(urls[i % 2]!, shared, schema).then((r) => ({
          kind: 'distinct',
          subject: shared,
          schema,
          ...r,
        })),
      ),
    );
    // The same 40 distinct schemas again into their own subjects: same ids as above.
    distinct.forEach((schema, i) =>
      jobs.push(
        register(urls[(i + 1) % 2]!, `conc-own-${i}-value`, schema).then((r) => ({
          kind: 'own',
          subject: `conc-own-${i}-value`,
          schema,
          ...r,
        })),
      ),
    );
    const results = await Promise.all(jobs);

    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const idsBySchema = new Map<string, Set<number>>();
    for (const r of results)
      idsBySchema.set(r.schema, (idsBySchema.get(r.schema) ?? new Set()).add(r.id!));
    for (const ids of idsBySchema.values()) expect(ids.size).toBe(1);
    const allIds = [...idsBySchema.values()].map((ids) => [...ids][0]!);
    expect(new Set(allIds).size).toBe(idsBySchema.size);

    expect(await getJson(`${urls[1]}/subjects/${shared}/versions`)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    for (let s = 0; s < 3; s++)
      expect(await getJson(`${urls[0]}/subjects/conc-equal-${s}-value/versions`)).toEqual([1]);

    for (const [schema, ids] of idsBySchema) {
      const stored = await getJson<{ schema: string }>(`${urls[0]}/schemas/ids/${[...ids][0]}`);
      expect(JSON.parse(stored.schema)).toEqual(JSON.parse(schema));
    }
  }, 60_000);
});
