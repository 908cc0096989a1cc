import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { MysqlConnection } from '@wail/store-mysql';
import {
  deadAddress,
  spawnServiceProcess,
  stackEnv,
  uniqueName,
  waitFor,
  type SpawnedService,
} from '@wail/testing';

/**
 * Secrets never leave a process except to the system they are for. A MariaDB
 * user with a password full of URL delimiters, a repository token and a proxy
 * token are given to real proxy and repository processes, with good and bad
 * configurations, failing writes (4xx and 5xx), dependencies down; then every
 * log line (stdout and stderr), every answer body, /readyz and /metrics is
 * searched for them.
 */
const name = uniqueName('wail_secrets');
const repositoryDatabase = `${name}_repo`;
const intentTopic = `${name}.intents`;
const hex = randomBytes(6).toString('hex');
const user = `ws_${randomBytes(4).toString('hex')}`;
const password = `S3cr3t#/pw@?%-${hex}`;
const wrongHex = randomBytes(6).toString('hex');
const wrongPassword = `Wr0ng#/pw-${wrongHex}`;
const repositoryToken = `repo-token-${randomBytes(8).toString('hex')}`;
const proxyToken = `proxy-token-${randomBytes(8).toString('hex')}`;
const shortToken = `tk${randomBytes(3).toString('hex')}`;
/** A recognisable value in rejected writes: a database error quotes it, an answer must not. */
const valueCanary = `valuecanary-${randomBytes(4).toString('hex')}`;
const takenEmail = `t${randomBytes(3).toString('hex')}@x`;

const SECRETS = [
  password,
  encodeURIComponent(password),
  hex,
  wrongPassword,
  wrongHex,
  repositoryToken,
  proxyToken,
  shortToken,
];

const stack = stackEnv();
const admin = new MysqlConnection({ url: stack.mysqlUrl, connectionLimit: 2 });
const cassandra = new Client({
  contactPoints: stack.cassandraContactPoints,
  localDataCenter: stack.cassandraDatacenter,
});
const logDir = mkdtempSync(join(tmpdir(), 'wail-secrets-'));
const processes: { label: string; logFile: string; service: SpawnedService }[] = [];
/** Every answer body any process gave in this suite, with what asked for it. */
const answers: { what: string; body: string }[] = [];

const encodedUrl = `mysql://${user}:${encodeURIComponent(password)}@127.0.0.1:3306`;
const common = {
  WAIL_LOG_LEVEL: 'debug',
  WAIL_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
  WAIL_CASSANDRA_CONTACT_POINTS: stack.cassandraContactPoints.join(','),
  WAIL_CASSANDRA_USERNAME: user,
  WAIL_CASSANDRA_PASSWORD: password,
  WAIL_REPOSITORY_TOKEN: repositoryToken,
};

async function spawn(
  label: string,
  service: 'proxy' | 'repository',
  env: Record<string, string>,
): Promise<SpawnedService> {
  const logFile = join(logDir, `${label}.log`);
  const spawned = await spawnServiceProcess(service, env, { logFile });
  processes.push({ label, logFile, service: spawned });
  return spawned;
}

/** Live (answers /healthz), whether or not it is ready. */
async function live(service: SpawnedService): Promise<void> {
  await waitFor(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`exited with ${service.child.exitCode}`);
      return (await fetch(`${service.url}/healthz`).catch(() => undefined))?.ok;
    },
    { timeoutMs: 60_000, what: 'a live service' },
  );
}

async function ready(service: SpawnedService): Promise<void> {
  await live(service);
  await waitFor(async () => (await fetch(`${service.url}/readyz`)).ok, {
    timeoutMs: 60_000,
    what: 'a ready service',
  });
}

async function call(
  what: string,
  service: SpawnedService,
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${service.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const body = await response.text();
  answers.push({ what, body });
  return { status: response.status, body };
}

const mutate = (service: SpawnedService, table: string, body: unknown) =>
  call(`${table} mutation`, service, `/v1/tables/${table}/mutations`, {
    method: 'POST',
    body,
    token: proxyToken,
  });

function errorOf(answer: { body: string }): { code: string; message: string } {
  return (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
}

let repository: SpawnedService;
let proxy: SpawnedService;

beforeAll(async () => {
  await admin.pool.query(`CREATE DATABASE \`${name}\``);
  await admin.pool.query(
    `CREATE TABLE \`${name}\`.people (id BIGINT PRIMARY KEY, email VARCHAR(12) NULL, qty INT NULL,
       name VARCHAR(20) NOT NULL, wail_ts BIGINT NOT NULL,
       UNIQUE KEY uq_email (email), CONSTRAINT chk_qty CHECK (qty > 0))`,
  );
  for (const host of ['%', 'localhost', '127.0.0.1']) {
    await admin.pool.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
    for (const database of [name, repositoryDatabase])
      await admin.pool.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO ?@?`, [user, host]);
  }
  await cassandra.execute(
    `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await cassandra.execute(
    `CREATE TABLE ${name}.things (id text PRIMARY KEY, tiny tinyint, wail_ts bigint)`,
  );

  repository = await spawn('repository', 'repository', {
    ...common,
    WAIL_MYSQL_URL: encodedUrl,
    WAIL_REPOSITORY_DATABASE: repositoryDatabase,
  });
  await ready(repository);
  const route = { keyColumns: ['id'], intentTopic, failureMode: 'transactional' };
  for (const [table, spec] of Object.entries({
    people: { ...route, store: 'mysql', database: name },
    things: { ...route, store: 'cassandra', keyspace: name },
  })) {
    const put = await call('route', repository, `/v1/tables/${table}`, {
      method: 'PUT',
      body: spec,
      token: repositoryToken,
    });
    expect(put.status).toBe(200);
  }
  // The separate variables: no percent-encoding needed.
  proxy = await spawn('proxy', 'proxy', {
    ...common,
    WAIL_MYSQL_URL: 'mysql://127.0.0.1:3306',
    WAIL_MYSQL_USER: user,
    WAIL_MYSQL_PASSWORD: password,
    WAIL_REPOSITORY_URL: repository.url,
    WAIL_PROXY_TOKENS: `${proxyToken}=*`,
  });
  await ready(proxy);
}, 180_000);

afterAll(async () => {
  await Promise.all(processes.map(({ service }) => service.stop()));
  for (const host of ['%', 'localhost', '127.0.0.1'])
    await admin.pool.query('DROP USER IF EXISTS ?@?', [user, host]);
  await admin.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.pool.query(`DROP DATABASE IF EXISTS \`${repositoryDatabase}\``);
  await admin.close();
  await cassandra.execute(`DROP KEYSPACE IF EXISTS ${name}`);
  await cassandra.shutdown();
  rmSync(logDir, { recursive: true, force: true });
}, 60_000);

describe('configuration', () => {
  it('refuses an unencoded password, naming the variable and the fix, never the value', async () => {
    const repositoryBad = await spawn('repository-unencoded', 'repository', {
      ...common,
      WAIL_MYSQL_URL: `mysql://${user}:${password}@127.0.0.1:3306`,
    });
    const proxyBad = await spawn('proxy-unencoded', 'proxy', {
      ...common,
      WAIL_MYSQL_URL: `mysql://${user}:${password}@127.0.0.1:3306`,
      WAIL_REPOSITORY_TOKEN: shortToken,
      WAIL_REPOSITORY_URL: repository.url,
    });
    const tokensBad = await spawn('proxy-short-token', 'proxy', {
      ...common,
      WAIL_MYSQL_URL: encodedUrl,
      WAIL_REPOSITORY_URL: repository.url,
      WAIL_PROXY_TOKENS: `${shortToken}=*`,
    });
    expect(await repositoryBad.exited).toBe(1);
    expect(await proxyBad.exited).toBe(1);
    expect(await tokensBad.exited).toBe(1);
    const log = (label: string) =>
      readFileSync(processes.find((p) => p.label === label)!.logFile, 'utf8');
    for (const label of ['repository-unencoded', 'proxy-unencoded']) {
      expect(log(label)).toContain('CONFIG_INVALID');
      expect(log(label)).toContain('WAIL_MYSQL_URL (value hidden)');
      expect(log(label)).toContain('percent-encode the password');
    }
    expect(log('proxy-unencoded')).toContain('WAIL_REPOSITORY_TOKEN (value hidden)');
    expect(log('proxy-short-token')).toContain('WAIL_PROXY_TOKENS');
  }, 90_000);
});

describe('rejected writes', () => {
  it('accepts good writes with the percent-encoded and the separate password', async () => {
    for (const [id, email] of [
      [1, takenEmail],
      [2, 'b@x'],
    ] as const) {
      const answer = await mutate(proxy, 'people', {
        op: 'upsert',
        key: { id },
        values: { name: `p${id}`, email, qty: 1 },
      });
      expect(answer.status).toBe(200);
    }
    const [rows] = await admin.pool.query(`SELECT id FROM \`${name}\`.people ORDER BY id`);
    expect(rows).toEqual([{ id: '1' }, { id: '2' }]);
  });

  it.each([
    [
      'a value too long',
      { op: 'upsert', key: { id: 3 }, values: { name: 'c', email: valueCanary } },
      'column "email": value too long (max 12 characters)',
    ],
    [
      'a CHECK constraint',
      { op: 'upsert', key: { id: 4 }, values: { name: 'd', qty: -1 } },
      'violates CHECK constraint chk_qty',
    ],
    [
      'a unique key',
      { op: 'upsert', key: { id: 2 }, values: { email: takenEmail } },
      'duplicate value for unique key uq_email',
    ],
  ])('answers 422 naming the column and the rule for %s', async (_what, body, rule) => {
    const answer = await mutate(proxy, 'people', body);
    expect(answer.status).toBe(422);
    expect(errorOf(answer)).toMatchObject({
      code: 'DATABASE_REJECTED',
      message: `MySQL rejected the write: ${rule}`,
    });
    expect(answer.body).not.toContain(valueCanary);
    expect(answer.body).not.toContain(takenEmail);
    expect(answer.body).not.toMatch(/Data too long|CONSTRAINT|Duplicate entry|for key|at row/);
  });

  it('says the same per item of a batch', async () => {
    const answer = await call('batch', proxy, '/v1/mutations', {
      method: 'POST',
      token: proxyToken,
      body: {
        mutations: [
          {
            table: 'people',
            op: 'upsert',
            key: { id: 5 },
            values: { name: 'e', email: valueCanary },
          },
        ],
      },
    });
    expect(answer.status).toBe(200);
    const [result] = (JSON.parse(answer.body) as { results: { status: number; error: object }[] })
      .results;
    expect(result).toMatchObject({
      status: 422,
      error: {
        message: 'MySQL rejected the write: column "email": value too long (max 12 characters)',
      },
    });
    expect(answer.body).not.toContain(valueCanary);
  });

  it('answers a value Cassandra cannot take with the rule, not the driver text', async () => {
    // The driver's RangeError quotes the value ("… Received 12345").
    const answer = await mutate(proxy, 'things', {
      op: 'upsert',
      key: { id: 'a' },
      values: { tiny: 12345 },
    });
    expect(answer.status).toBe(422);
    expect(errorOf(answer)).toEqual({
      code: 'DATABASE_REJECTED',
      message: 'Cassandra rejected the write: a value could not be encoded for its column type',
      details: { rule: 'wrong_value' },
    });
    expect(answer.body).not.toContain('12345');
  });
});

describe('dependencies down', () => {
  let noKafka: SpawnedService;
  let deniedMysql: SpawnedService;
  let repositoryDown: SpawnedService;

  beforeAll(async () => {
    const kafka = await deadAddress();
    const cassandraDead = await deadAddress();
    const mysqlDead = await deadAddress();
    [noKafka, deniedMysql, repositoryDown] = await Promise.all([
      spawn('proxy-kafka-cassandra-down', 'proxy', {
        ...common,
        WAIL_KAFKA_BROKERS: `${kafka.host}:${kafka.port}`,
        WAIL_CASSANDRA_CONTACT_POINTS: `${cassandraDead.host}:${cassandraDead.port}`,
        WAIL_MYSQL_URL: encodedUrl,
        WAIL_REPOSITORY_URL: repository.url,
        WAIL_PROXY_TOKENS: `${proxyToken}=*`,
        WAIL_PROXY_INTENT_TIMEOUT_MS: '1000',
      }),
      // A live server that refuses the password (a second recognisable one).
      spawn('proxy-mysql-denied', 'proxy', {
        ...common,
        WAIL_STORES: 'mysql',
        WAIL_MYSQL_URL: 'mysql://127.0.0.1:3306',
        WAIL_MYSQL_USER: user,
        WAIL_MYSQL_PASSWORD: wrongPassword,
        WAIL_REPOSITORY_URL: repository.url,
        WAIL_PROXY_TOKENS: `${proxyToken}=*`,
      }),
      spawn('repository-mysql-down', 'repository', {
        ...common,
        WAIL_MYSQL_URL: `mysql://${user}:${encodeURIComponent(password)}@${mysqlDead.host}:${mysqlDead.port}`,
        WAIL_REPOSITORY_DATABASE: `${repositoryDatabase}_down`,
      }),
    ]);
    await Promise.all([live(noKafka), live(deniedMysql), live(repositoryDown)]);
  }, 120_000);

  it('answers /readyz 503 naming each dependency down with a short reason, no driver text', async () => {
    type Ready = { status: string; checks: Record<string, { status: string; error?: string }> };
    const readyz = async (service: SpawnedService, what: string) => {
      const answer = await call(what, service, '/readyz');
      expect(answer.status).toBe(503);
      return JSON.parse(answer.body) as Ready;
    };
    const proxyReport = await readyz(noKafka, 'readyz kafka+cassandra down');
    expect(proxyReport.checks['kafka']?.error).toMatch(
      /^kafka: (unavailable( \(ECONNREFUSED\))?|no answer within \d+ ms)$/,
    );
    expect(proxyReport.checks['cassandra']?.error).toMatch(
      /^cassandra: (unavailable( \(ECONNREFUSED\))?|no answer within \d+ ms)$/,
    );
    expect(proxyReport.checks['mysql']).toMatchObject({ status: 'up' });
    expect((await readyz(deniedMysql, 'readyz mysql denied')).checks['mysql']?.error).toBe(
      'mysql: unavailable (ER_ACCESS_DENIED_ERROR)',
    );
    expect((await readyz(repositoryDown, 'readyz mysql down')).checks['mysql']?.error).toBe(
      'mysql: not migrated yet (ECONNREFUSED)',
    );
  }, 30_000);

  it('answers writes 5xx with a code, never the driver text', async () => {
    const intentDown = await mutate(noKafka, 'people', {
      op: 'upsert',
      key: { id: 6 },
      values: { name: 'f' },
    });
    expect(intentDown.status).toBe(503);
    expect(errorOf(intentDown)).toEqual({
      code: 'INTENT_LOG_UNAVAILABLE',
      message: expect.stringMatching(/^Kafka did not acknowledge/),
    });
    expect(intentDown.body).not.toMatch(/127\.0\.0\.1|Connection error/);
    const denied = await mutate(deniedMysql, 'people', {
      op: 'upsert',
      key: { id: 7 },
      values: { name: 'g' },
    });
    expect(denied.status).toBe(503);
    expect(errorOf(denied)).toEqual({
      code: 'DATABASE_UNAVAILABLE',
      message: 'MySQL is unavailable (ER_ACCESS_DENIED_ERROR)',
    });
    const storeDown = await call('route while MySQL is down', repositoryDown, '/v1/tables/x', {
      method: 'PUT',
      token: repositoryToken,
      body: { store: 'mysql', database: name, keyColumns: ['id'] },
    });
    expect(storeDown.status).toBe(500);
    expect(JSON.parse(storeDown.body)).toEqual({
      error_code: 50001,
      message: 'Error in the backend data store',
    });
  }, 30_000);
});

describe('what leaves the processes', () => {
  it('serves /metrics and /readyz without a secret', async () => {
    for (const { label, service } of processes) {
      if (service.child.exitCode !== null) continue;
      await call(`metrics of ${label}`, service, '/metrics');
      await call(`readyz of ${label}`, service, '/readyz');
    }
    expect(answers.filter(({ what }) => what.startsWith('metrics')).length).toBeGreaterThan(3);
  });

  it('has no secret in any answer body', () => {
    expect(answers.length).toBeGreaterThan(15);
    for (const { what, body } of answers) {
      for (const secret of SECRETS) {
        if (body.includes(secret)) throw new Error(`${what}: the answer holds a secret`);
      }
    }
  });

  it('has no secret in any log line of any process, stdout or stderr', async () => {
    await Promise.all(processes.map(({ service }) => service.stop()));
    let lines = 0;
    for (const { label, logFile } of processes) {
      const log = readFileSync(logFile, 'utf8');
      expect(log.length).toBeGreaterThan(0);
      for (const [index, line] of log.split('\n').entries()) {
        lines++;
        for (const secret of SECRETS) {
          if (line.includes(secret))
            throw new Error(`${label} log line ${index + 1} holds a secret: ${line.slice(0, 300)}`);
        }
      }
    }
    // The logs did see the failures: the details went there, redacted.
    const all = processes.map(({ logFile }) => readFileSync(logFile, 'utf8')).join('\n');
    expect(all).toContain('dependency down');
    expect(all).toContain('ER_ACCESS_DENIED_ERROR');
    expect(lines).toBeGreaterThan(50);
  }, 60_000);
});
