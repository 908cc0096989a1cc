import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KafkaClient } from '@wail/kafka';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { PostgresConnection } from '@wail/store-postgres';
import Redis from 'ioredis';
import { silentLogger } from '@wail/telemetry';
import { HOSTILE_TABLES, SEEDED_MEMBERS, type HostileTable } from './hostile';
import {
  putTableRoutes,
  stackEnv,
  startServiceProcess,
  waitFor,
  type ServiceProcess,
} from '@wail/testing';

export const repoRoot = join(__dirname, '..', '..', '..');

export type Delivery = 'at-least-once' | 'exactly-once';

export interface ClusterOptions {
  name: string;
  delivery: Delivery;
  visibilityWindowMs: number;
  /** Where each service's log goes (one file per process), or undefined for none. */
  logDir: string | undefined;
}

/** The logical tables of the chaos workload, one per store. */
export const TABLES = {
  m_items: { store: 'mysql' },
  c_items: { store: 'cassandra' },
  p_items: { store: 'postgres' },
  r_items: { store: 'redis' },
} as const;

/** Where a chaos table's rows live, as its route says it. */
export function chaosLocation(name: string, table: ChaosTable): Record<string, string> {
  switch (TABLES[table].store) {
    case 'mysql':
    case 'postgres':
      return { database: name };
    case 'cassandra':
      return { keyspace: name };
    case 'redis':
      return { keyPrefix: redisPrefix(name) };
  }
}

/** The Redis key prefix of a run's r_items rows. */
export const redisPrefix = (name: string) => `${name}:r_items`;
export type ChaosTable = keyof typeof TABLES;

type Role = 'proxy' | 'consumer' | 'gateway';

const roleOf = (name: string): Role =>
  name.startsWith('proxy') ? 'proxy' : name === 'gateway' ? 'gateway' : 'consumer';

interface Member {
  name: string;
  role: Role;
  process: ServiceProcess | undefined;
}

/**
 * One isolated WAIL deployment on the local stack — its own database,
 * keyspace, topics, repository database and consumer group — with two
 * proxies and two consumers as separate processes that the harness can kill
 * and restart.
 */
export class Cluster {
  readonly intentTopic: string;
  readonly unmaterializedTopic: string;
  readonly deadLetterTopic: string;
  readonly group: string;
  readonly eventTopics: Record<ChaosTable, string>;
  /** Event topics of the hostile clients' tables (read for nothing but their dead letters). */
  readonly hostileTopics: Record<Exclude<HostileTable, 'h_members'>, string>;
  readonly kafka = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-chaos',
    logger: silentLogger(),
  });
  readonly mysql = new MysqlConnection({ url: stackEnv().mysqlUrl, connectionLimit: 4 });
  readonly cassandra = new CassandraConnection({
    contactPoints: stackEnv().cassandraContactPoints,
    localDataCenter: stackEnv().cassandraDatacenter,
  });
  readonly postgres = new PostgresConnection({ url: stackEnv().postgresUrl, poolSize: 4 });
  readonly redis = new Redis(stackEnv().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  repository!: ServiceProcess;
  private readonly members: Member[] = [];
  private serviceEnv: Record<string, string> = {};

  constructor(private readonly options: ClusterOptions) {
    const name = options.name;
    this.intentTopic = `${name}.intents`;
    this.unmaterializedTopic = `${name}.unmaterialized`;
    this.deadLetterTopic = `${name}.dlq`;
    this.group = `${name}.consumer`;
    this.eventTopics = Object.fromEntries(
      Object.keys(TABLES).map((table) => [table, `${name}.events.${table}`]),
    ) as Record<ChaosTable, string>;
    this.hostileTopics = { h_keys: `${name}.events.h_keys`, h_rows: `${name}.events.h_rows` };
  }

  get proxies(): ServiceProcess[] {
    return this.members.flatMap((m) =>
      m.role === 'proxy' && m.process && running(m.process) ? [m.process] : [],
    );
  }

  member(name: string): Member {
    const member = this.members.find((m) => m.name === name);
    if (!member) throw new Error(`no member ${name}`);
    return member;
  }

  async create(): Promise<void> {
    const { name, visibilityWindowMs } = this.options;
    await this.mysql.pool.query(`CREATE DATABASE \`${name}\``);
    await this.mysql.pool.query(
      `CREATE TABLE \`${name}\`.items (id BIGINT PRIMARY KEY, a INT NULL, b VARCHAR(64) NULL,
         req VARCHAR(40) NULL, wail_ts BIGINT NOT NULL)`,
    );
    await this.cassandra.client.execute(
      `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await this.cassandra.client.execute(
      `CREATE TABLE ${name}.items (id text PRIMARY KEY, a int, b text, req text, wail_ts bigint)`,
    );
    await this.postgres.query(this.postgres.defaultDatabase, `CREATE DATABASE "${name}"`);
    await this.postgres.query(
      name,
      `CREATE TABLE items (id BIGINT PRIMARY KEY, a INT NULL, b VARCHAR(64) NULL,
         req VARCHAR(40) NULL, wail_ts BIGINT NOT NULL)`,
    );
    // Six partitions so that two consumers (and a third during a rebalance) share them.
    await this.kafka.ensureTopics([
      { topic: this.intentTopic, partitions: 6 },
      ...Object.values(this.eventTopics).map((topic) => ({ topic })),
      { topic: this.unmaterializedTopic },
      { topic: this.deadLetterTopic },
      ...Object.values(this.hostileTopics).map((topic) => ({ topic })),
    ]);

    this.repository = await startServiceProcess(
      'repository',
      { WAIL_REPOSITORY_DATABASE: `${name}_repo` },
      this.logOptions('repository'),
    );
    await putTableRoutes(
      this.repository.url,
      Object.fromEntries(
        Object.entries(TABLES).map(([table, { store }]) => [
          table,
          {
            store,
            ...chaosLocation(name, table as ChaosTable),
            physicalTable: store === 'redis' ? table : 'items',
            keyColumns: ['id'],
            intentTopic: this.intentTopic,
            visibilityWindowMs,
          },
        ]),
      ),
    );
    await this.createHostileTables();
    for (const [table, { store }] of Object.entries(TABLES)) {
      await this.registerModel(table, {
        eventTopic: this.eventTopics[table as ChaosTable],
        schema: {
          type: 'record',
          name: `Item_${table}`,
          namespace: 'wail.chaos',
          fields: [
            { name: 'id', type: store === 'cassandra' ? 'string' : 'long' },
            { name: 'a', type: ['null', 'int'], default: null },
            { name: 'b', type: ['null', 'string'], default: null },
            { name: 'req', type: ['null', 'string'], default: null },
          ],
        },
      });
    }
    this.serviceEnv = {
      WAIL_REPOSITORY_URL: this.repository.url,
      WAIL_ROUTES_REFRESH_MS: '1000',
      WAIL_CONSUMER_GROUP: this.group,
      WAIL_UNMATERIALIZED_TOPIC: this.unmaterializedTopic,
      WAIL_DLQ_TOPIC: this.deadLetterTopic,
      WAIL_CONSUMER_COMMIT_INTERVAL_MS: '200',
      WAIL_CONSUMER_DELIVERY: this.options.delivery,
      // Up to six services share one MariaDB (151 connections by default):
      // 64 each, the default, would exhaust it.
      WAIL_MYSQL_POOL_SIZE: '16',
      // The hostile clients' rows of 600–900 KB: about half make events over
      // this bound, which must be dead-lettered EVENT_TOO_LARGE.
      WAIL_CONSUMER_MAX_EVENT_BYTES: '750000',
      // No claim checks, whatever the environment says: those events must stay dead letters.
      WAIL_S3_ENDPOINT: '',
    };
    for (const member of ['proxy-1', 'proxy-2', 'consumer-1', 'consumer-2', 'gateway']) {
      this.members.push({ name: member, role: roleOf(member), process: undefined });
      await this.start(member);
    }
  }

  /**
   * The hostile clients' tables. `h_members` is routed by `tenant` alone
   * before its table (PRIMARY KEY (tenant, id)) exists — the repository would
   * refuse the route otherwise — so the proxies are what must refuse it.
   */
  private async createHostileTables(): Promise<void> {
    const { name, visibilityWindowMs } = this.options;
    const route = (table: HostileTable, keyColumns: string[]) => {
      const { store, physicalTable } = HOSTILE_TABLES[table];
      return {
        store,
        ...(store === 'mysql' ? { database: name } : { keyspace: name }),
        physicalTable,
        keyColumns,
        intentTopic: this.intentTopic,
        visibilityWindowMs,
      };
    };
    await putTableRoutes(this.repository.url, { h_members: route('h_members', ['tenant']) });
    await this.mysql.pool.query(
      `CREATE TABLE \`${name}\`.h_members (tenant BIGINT, id BIGINT, note VARCHAR(20) NULL,
         wail_ts BIGINT NOT NULL, PRIMARY KEY (tenant, id))`,
    );
    for (let id = 1; id <= SEEDED_MEMBERS; id++)
      await this.mysql.pool.query(
        `INSERT INTO \`${name}\`.h_members (tenant, id, note, wail_ts) VALUES (1, ?, 'seed', 1)`,
        [id],
      );
    await this.mysql.pool.query(
      `CREATE TABLE \`${name}\`.h_keys (id VARCHAR(255) COLLATE utf8mb4_bin PRIMARY KEY,
         note VARCHAR(20) NULL, wail_ts BIGINT NOT NULL)`,
    );
    await this.cassandra.client.execute(
      `CREATE TABLE ${name}.h_rows (id text PRIMARY KEY, b text, wail_ts bigint)`,
    );
    await putTableRoutes(this.repository.url, {
      h_keys: route('h_keys', ['id']),
      h_rows: route('h_rows', ['id']),
    });
    for (const [table, column] of [
      ['h_keys', 'note'],
      ['h_rows', 'b'],
    ] as const)
      await this.registerModel(table, {
        eventTopic: this.hostileTopics[table],
        schema: {
          type: 'record',
          name: `Hostile_${table}`,
          namespace: 'wail.chaos',
          fields: [
            { name: 'id', type: 'string' },
            { name: column, type: ['null', 'string'], default: null },
          ],
        },
      });
  }

  /** Rows of h_members left (a delete by part of its key would have removed them). */
  async membersLeft(): Promise<number> {
    const [rows] = await this.mysql.pool.query(
      `SELECT COUNT(*) AS n FROM \`${this.options.name}\`.h_members`,
    );
    return Number((rows as { n: number | string }[])[0]!.n);
  }

  /** Starts (or restarts) a member and waits for it to be ready. */
  async start(name: string): Promise<void> {
    let member = this.members.find((m) => m.name === name);
    if (!member) {
      member = { name, role: roleOf(name), process: undefined };
      this.members.push(member);
    }
    member.process = await startServiceProcess(
      member.role,
      {
        ...this.serviceEnv,
        ...(member.role === 'consumer' ? { WAIL_CONSUMER_ID: name } : {}),
        ...(member.role === 'gateway' ? this.gatewayEnv() : {}),
      },
      { ...this.logOptions(name), readyTimeoutMs: 120_000 },
    );
  }

  /** The event gateway's URL now (a restart gets a new port). */
  get gatewayUrl(): string {
    const gateway = this.member('gateway').process;
    if (!gateway) throw new Error('the gateway is not running');
    return gateway.url;
  }

  get subscriptionsTopic(): string {
    return `${this.options.name}.subscriptions`;
  }

  private gatewayEnv(): Record<string, string> {
    return {
      WAIL_GATEWAY_SUBSCRIPTIONS_TOPIC: this.subscriptionsTopic,
      WAIL_GATEWAY_GROUP_PREFIX: `${this.options.name}.gw`,
      // Redelivery after a lost ack comes soon; webhook retries never give up in a run.
      WAIL_GATEWAY_ACK_TIMEOUT_MS: '5000',
      WAIL_GATEWAY_WEBHOOK_BACKOFF_MS: '100',
      WAIL_GATEWAY_WEBHOOK_MAX_BACKOFF_MS: '2000',
      WAIL_GATEWAY_WEBHOOK_MAX_ATTEMPTS: '100',
    };
  }

  async kill(name: string): Promise<void> {
    await this.member(name).process?.kill();
  }

  async stop(name: string): Promise<void> {
    await this.member(name).process?.stop();
  }

  /** Members whose process exited without the harness asking (a crash the harness did not cause). */
  exited(): string[] {
    return this.members.flatMap((m) => (m.process && !running(m.process) ? [m.name] : []));
  }

  /** Restarts every member that is not running, e.g. after a fault or an unexpected exit. */
  async heal(): Promise<void> {
    for (const member of this.members)
      if (!member.process || !running(member.process)) {
        if (member.name === 'consumer-3') continue;
        await this.start(member.name);
      }
  }

  /** Waits until the group has committed every intent (nothing unfinished, nothing unread). */
  async quiesce(timeoutMs: number): Promise<void> {
    let stableSince = 0;
    await waitFor(
      async () => {
        const [committed, end] = await Promise.all([
          this.kafka.committedOffsets(this.group, [this.intentTopic]),
          this.kafka.endOffsets(this.intentTopic),
        ]);
        const done = [...end].every(
          ([partition, high]) => (committed.get(this.intentTopic)?.get(partition) ?? -1n) >= high,
        );
        if (!done) {
          stableSince = 0;
          return false;
        }
        stableSince ||= Date.now();
        return Date.now() - stableSince > 2000;
      },
      { timeoutMs, intervalMs: 500, what: 'the consumers to finish every intent' },
    );
  }

  /** The consumer group's lag per partition, for a report when quiescence times out. */
  async lag(): Promise<string> {
    const [committed, end] = await Promise.all([
      this.kafka.committedOffsets(this.group, [this.intentTopic]),
      this.kafka.endOffsets(this.intentTopic),
    ]);
    return [...end]
      .map(([p, high]) => `p${p}: ${committed.get(this.intentTopic)?.get(p) ?? -1n}/${high}`)
      .join(', ');
  }

  /** Stops every service of the run (its data stays until `destroy`). */
  async close(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.process?.stop()));
    await this.repository?.stop();
  }

  /**
   * Drops the databases, keyspace, Redis keys and topics this run created,
   * then closes the harness's own connections. Each step on its own: one
   * failing (a server still restarting) leaves the others to run.
   */
  async destroy(): Promise<void> {
    const { name } = this.options;
    const steps: (() => Promise<unknown>)[] = [
      () => this.mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}\``),
      () => this.mysql.pool.query(`DROP DATABASE IF EXISTS \`${name}_repo\``),
      () => this.cassandra.client.execute(`DROP KEYSPACE IF EXISTS ${name}`),
      () =>
        this.postgres.query(
          this.postgres.defaultDatabase,
          `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`,
        ),
      async () => {
        for await (const keys of this.redis.scanStream({
          match: `${redisPrefix(name)}:*`,
          count: 500,
        }))
          if ((keys as string[]).length > 0) await this.redis.unlink(...(keys as string[]));
      },
      () =>
        this.kafka.deleteTopics([
          this.intentTopic,
          this.unmaterializedTopic,
          this.deadLetterTopic,
          ...Object.values(this.eventTopics),
          ...Object.values(this.hostileTopics),
          this.subscriptionsTopic,
        ]),
    ];
    for (const step of steps) await step().catch(() => undefined);
    await Promise.allSettled([
      this.kafka.close(),
      this.mysql.close(),
      this.cassandra.close(),
      this.postgres.close(),
    ]);
    this.redis.disconnect();
  }

  private logOptions(name: string) {
    return this.options.logDir ? { logFile: join(this.options.logDir, `${name}.log`) } : {};
  }

  private async registerModel(table: string, model: unknown): Promise<void> {
    const response = await fetch(`${this.repository.url}/v1/models/${table}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(model),
    });
    if (!response.ok)
      throw new Error(`model ${table}: ${response.status} ${await response.text()}`);
  }
}

/** A process killed by a signal has no exit code, only a signal code. */
const running = (process: ServiceProcess) =>
  process.child.exitCode === null && process.child.signalCode === null;

/** Runs the local stack's CLI (`npm run stack -- …`): the harness stops and starts Kafka and Cassandra as an operator would. */
export function stack(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'infra', 'local', 'src', 'cli.ts'), ...args],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`stack ${args.join(' ')} failed:\n${output}`)),
    );
  });
}
