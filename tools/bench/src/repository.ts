import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { createPool } from 'mysql2/promise';
import { Defaults } from '@wail/config';
import { freePort, load, record, say, startService, stopService } from './harness';

/**
 * Schema repository benchmark.
 *
 * 1. `GET /schemas/ids/{id}` over 1,000 registered schemas at N connections,
 *    against the HTTP stack alone (a bare node:http process answering the same
 *    body): requests/s, p50, p99, and the ratio.
 * 2. Distinct-schema registrations with W concurrent writers, against MySQL
 *    alone doing single-row autocommit inserts with W connections.
 *
 * Needs MySQL/MariaDB (`npm run stack -- up mysql`). Usage:
 *   npx tsx tools/bench/src/repository.ts [--duration 15] [--connections 100] [--writers 20]
 */
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '100' },
    writers: { type: 'string', default: '20' },
    schemas: { type: 'string', default: '1000' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const writers = Number(values.writers);
const schemaCount = Number(values.schemas);
const mysqlUrl = process.env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl;

const schemaText = (name: string) =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'bench',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'v', type: 'string' },
    ],
  });

async function registerAll(url: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < count) {
        const i = next++;
        const response = await fetch(`${url}/subjects/seed-${i}-value/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
          body: JSON.stringify({ schema: schemaText(`Seed${i}`) }),
        });
        ids.push(((await response.json()) as { id: number }).id);
      }
    }),
  );
  return ids;
}

async function bareHttpBaseline(body: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q, s) => { s.writeHead(200, {'content-type': 'application/vnd.schemaregistry.v1+json'}); s.end(${JSON.stringify(body)}); }).listen(${port}, '127.0.0.1')`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url, stop: () => stopService(child) };
}

async function mysqlInsertBaseline(database: string): Promise<number> {
  const pool = createPool({ uri: `${mysqlUrl}/${database}`, connectionLimit: writers });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_inserts (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(255) NOT NULL)',
  );
  let count = 0;
  const until = Date.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (Date.now() < until) {
        await pool.execute('INSERT INTO bench_inserts (v) VALUES (?)', [schemaText(`Row${count}`)]);
        count++;
      }
    }),
  );
  await pool.end();
  return Math.round(count / duration);
}

async function main(): Promise<void> {
  const database = `wail_bench_${Date.now().toString(36)}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const repository = await startService(
    'apps/schema-repository/src/main.ts',
    { WAIL_REPOSITORY_PORT: String(port), WAIL_REPOSITORY_DATABASE: database },
    `${url}/readyz`,
  );
  const admin = createPool({ uri: mysqlUrl, connectionLimit: 1 });
  try {
    say(`seeding ${schemaCount} schemas…`);
    const ids = await registerAll(url, schemaCount);
    const sample = await (await fetch(`${url}/schemas/ids/${ids[0]}`)).text();

    say(`HTTP alone: GET with ${connections} connections for ${duration} s…`);
    const bare = await bareHttpBaseline(sample);
    await load({ url: bare.url, connections, duration: 2 });
    const limit = await load({ url: `${bare.url}/schemas/ids/1`, connections, duration });
    await bare.stop();

    say(`repository: GET /schemas/ids/{id} with ${connections} connections for ${duration} s…`);
    const pick = () => ids[Math.floor(Math.random() * ids.length)];
    const lookups = {
      url,
      connections,
      requests: [
        {
          method: 'GET' as const,
          setupRequest: (request: autocannon.Request) => ({
            ...request,
            path: `/schemas/ids/${pick()}`,
          }),
        },
      ],
    };
    await load({ ...lookups, duration: 2 });
    const byId = await load({ ...lookups, duration });

    say(
      `MySQL alone: single-row autocommit inserts with ${writers} connections for ${duration} s…`,
    );
    const insertsPerSecond = await mysqlInsertBaseline(database);

    say(`repository: distinct-schema registrations with ${writers} writers for ${duration} s…`);
    await fetch(`${url}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ compatibility: 'NONE' }),
    });
    let counter = 0;
    const registrations = await load({
      url,
      connections: writers,
      duration,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
          setupRequest: (request: autocannon.Request) => {
            const i = counter++;
            return {
              ...request,
              path: `/subjects/bench-${i % writers}-value/versions`,
              body: JSON.stringify({ schema: schemaText(`Reg${i}`) }),
            };
          },
        },
      ],
    });

    const rows: [string, string][] = [
      [
        `HTTP alone (bare node:http), ${connections} conns`,
        `${limit.requestsPerSecond} req/s, p50 ${limit.p50Ms} ms, p99 ${limit.p99Ms} ms`,
      ],
      [
        `GET /schemas/ids/{id}, ${connections} conns, ${schemaCount} schemas`,
        `${byId.requestsPerSecond} req/s, p50 ${byId.p50Ms} ms, p99 ${byId.p99Ms} ms (errors ${byId.errors}, non-2xx ${byId.non2xx})`,
      ],
      [
        'lookups vs HTTP alone',
        `${(byId.requestsPerSecond / limit.requestsPerSecond).toFixed(2)}×`,
      ],
      [`MySQL alone: autocommit inserts, ${writers} conns`, `${insertsPerSecond} rows/s`],
      [
        `registrations of distinct schemas, ${writers} writers`,
        `${registrations.requestsPerSecond} /s, p50 ${registrations.p50Ms} ms, p99 ${registrations.p99Ms} ms (errors ${registrations.errors}, non-2xx ${registrations.non2xx})`,
      ],
      [
        'registrations vs MySQL inserts',
        `${(registrations.requestsPerSecond / insertsPerSecond).toFixed(2)}×`,
      ],
    ];
    for (const [measure, value] of rows) say(`${measure.padEnd(60)} ${value}`);
    record(
      'Schema repository',
      `npx tsx tools/bench/src/repository.ts --duration ${duration} --connections ${connections} --writers ${writers} --schemas ${schemaCount}`,
      rows,
      [
        'Load generator (autocannon), repository and MariaDB share the same 2 cores.',
        'Targets: ≥ 10,000 lookups/s with p99 < 20 ms; ≥ 500 registrations/s.',
      ],
    );
  } finally {
    await stopService(repository);
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
