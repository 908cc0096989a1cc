import type { FastifyInstance } from 'fastify';
import { MysqlConnection } from '@wail/store-mysql';
import { silentLogger } from '@wail/telemetry';
import { stackEnv, uniqueName } from '@wail/testing';
import { loadConfig } from '../src/config';
import { compose, type RepositoryService } from '../src/main';

export const V1 = 'application/vnd.schemaregistry.v1+json';

export interface TestRepository {
  app: FastifyInstance;
  database: string;
  service: RepositoryService;
  close(): Promise<void>;
}

/** A repository on its own fresh database, dropped again by `close()`. */
export async function startRepository(env: Record<string, string> = {}): Promise<TestRepository> {
  const database = uniqueName('wail_repo');
  const service = await compose(
    loadConfig({ ...process.env, WAIL_REPOSITORY_DATABASE: database, ...env }),
    silentLogger(),
  );
  return {
    app: service.app,
    database,
    service,
    async close() {
      await service.stop();
      await dropDatabase(database);
    },
  };
}

export async function dropDatabase(database: string): Promise<void> {
  const mysql = new MysqlConnection({ url: stackEnv().mysqlUrl, connectionLimit: 1 });
  try {
    await mysql.pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await mysql.close();
  }
}

export interface Answer {
  status: number;
  body: unknown;
  type: string | undefined;
  headers: Record<string, unknown>;
}

/** One request through `inject`, with the v1 content type unless told otherwise. */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await app.inject({
    method,
    url,
    headers: { 'content-type': V1, ...headers },
    ...(payload === undefined
      ? {}
      : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
  let body: unknown = response.body;
  try {
    body = response.body.length > 0 ? JSON.parse(response.body) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return {
    status: response.statusCode,
    body,
    type: response.headers['content-type']?.toString(),
    headers: response.headers as Record<string, unknown>,
  };
}

export const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'record', name, fields, ...extra });

/** The checklist's A1, A2 (A1 + f2 with a default) and A3 (A1 + f2 without). */
export const A1 = record('myrecord', [{ type: 'string', name: 'f1' }]);
export const A2 = record('myrecord', [
  { type: 'string', name: 'f1' },
  { type: 'string', name: 'f2', default: 'foo' },
]);
export const A3 = record('myrecord', [
  { type: 'string', name: 'f1' },
  { type: 'string', name: 'f2' },
]);

/** An answer that must be the error `code` with `status`, its message containing every phrase. */
export function refused(answer: Answer, status: number, code: number, ...phrases: string[]): void {
  expect({
    status: answer.status,
    code: (answer.body as { error_code: number }).error_code,
  }).toEqual({ status, code });
  for (const phrase of phrases)
    expect((answer.body as { message: string }).message).toContain(phrase);
}
