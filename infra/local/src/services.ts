import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Defaults, splitList } from '@wail/config';
import { KafkaClient } from '@wail/kafka';
import { CassandraConnection } from '@wail/store-cassandra';
import { MysqlConnection } from '@wail/store-mysql';
import { PostgresConnection } from '@wail/store-postgres';
import Redis from 'ioredis';
import { ClaimStore } from '@wail/object-store';
import { silentLogger } from '@wail/telemetry';
import { findJava } from './java';
import { ensureJars, findJar } from './jars';
import { infraDir, stackHome, stackPaths } from './paths';
import type { StackPaths } from './paths';
import { commandExists, render, run, startDaemon } from './processes';
import {
  STACK_KEYSTORE_PASSWORD,
  STACK_SECURE_PASSWORD,
  STACK_SECURE_USER,
  ensureStackTls,
  stackTlsFiles,
} from './tls';

export type ServiceName =
  | 'cassandra'
  | 'cassandra-secure'
  | 'kafka'
  | 'kafka-hot'
  | 'kafka-secure'
  | 'mysql'
  | 'mysql-secure'
  | 'postgres'
  | 'redis'
  | 's3proxy';

export interface Endpoint {
  host: string;
  port: number;
}

export interface StackService {
  name: ServiceName;
  /** Set by the user to point at a server the stack must not start. */
  externalVariable: string;
  endpoint(env: NodeJS.ProcessEnv): Endpoint;
  /** Resolves when the server answers a real client request. */
  ready(env: NodeJS.ProcessEnv): Promise<void>;
  /**
   * Starts the server in the background; returns its pid, or undefined when
   * the machine's service manager runs it (then `down` leaves it alone).
   */
  start(
    paths: StackPaths,
    env: NodeJS.ProcessEnv,
    note: (line: string) => void,
  ): number | undefined;
  /** How long a healthy start may take on a small machine. */
  readyTimeoutMs: number;
  /** Left out of `up` with no names: started only when named. */
  onDemand?: boolean;
}

function firstEndpoint(list: string): Endpoint {
  const [first = ''] = splitList(list);
  const index = first.lastIndexOf(':');
  return { host: first.slice(0, index), port: Number(first.slice(index + 1)) };
}

function javaFor(service: string, accepted: readonly number[], env: NodeJS.ProcessEnv): string {
  const java = findJava(accepted, env);
  if (typeof java === 'string') throw new Error(`${service}: ${java}`);
  return java.binary;
}

function jarsFor(service: string, paths: StackPaths, note: (line: string) => void): string {
  const dir = paths.jars(service);
  const started = Date.now();
  const { cached, count } = ensureJars(join(infraDir, service, 'pom.xml'), dir);
  if (!cached)
    note(
      `resolved ${count} jars from Maven Central in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  return dir;
}

/**
 * A server's configuration from the stack's templates under `infra/local/<dir>`,
 * rendered and joined: a secured server's template is appended to the plain one.
 */
function renderTemplates(
  dir: string,
  templates: readonly string[],
  values: Record<string, string | number>,
): string {
  return templates
    .map((template) => render(readFileSync(join(infraDir, dir, template), 'utf8'), values))
    .join('\n');
}

/**
 * A single-node KRaft broker of the stack's jars and template, with its own
 * data, conf, log and pid files under `name`. Its controller listens on the
 * broker port + 1 unless WAIL_<NAME>_CONTROLLER_PORT says otherwise.
 */
function kafkaService(
  name: 'kafka' | 'kafka-hot' | 'kafka-secure',
  brokersVariable: string,
  defaultBrokers: string,
  secure = false,
): StackService {
  const brokers = (env: NodeJS.ProcessEnv) => env[brokersVariable] ?? defaultBrokers;
  const controllerPortVariable = `WAIL_${name.toUpperCase().replace('-', '_')}_CONTROLLER_PORT`;
  return {
    name,
    externalVariable: brokersVariable,
    readyTimeoutMs: 120_000,
    endpoint: (env) => firstEndpoint(brokers(env)),
    async ready(env) {
      const client = new KafkaClient({
        brokers: splitList(brokers(env)),
        clientId: 'wail-stack',
        logger: silentLogger(),
        connectionTimeoutMs: 1000,
        ...(secure ? { security: secureKafkaClient(env) } : {}),
      });
      try {
        await client.listTopics();
        // A group coordinator too: on a new cluster the offsets topic is made
        // on first use, and a transaction's offset commit before it is there
        // fails GROUP_COORDINATOR_NOT_AVAILABLE (seen in CI's first suite).
        await client.committedOffsets('wail-stack-ready', []);
      } finally {
        await client.close();
      }
    },
    start(paths, env, note) {
      const java = javaFor(name, [11, 17, 21], env);
      // Every broker runs the same jars and template: those of `kafka`.
      const jars = jarsFor('kafka', paths, note);
      const { host, port } = firstEndpoint(brokers(env));
      const dataDir = paths.data(name);
      const confDir = paths.conf(name);
      mkdirSync(confDir, { recursive: true });
      const properties = join(confDir, 'server.properties');
      const tls = secure ? ensureStackTls(paths, note) : undefined;
      const templates = ['server.properties.template'];
      if (secure) templates.push('server-secure.properties.template');
      const values = {
        KAFKA_HOST: host,
        KAFKA_PORT: port,
        KAFKA_CONTROLLER_PORT: Number(env[controllerPortVariable] ?? port + 1),
        DATA_DIR: dataDir,
        ...(tls
          ? {
              KAFKA_USER: STACK_SECURE_USER,
              KAFKA_PASSWORD: STACK_SECURE_PASSWORD,
              KEYSTORE_FILE: tls.keystoreFile,
              KEYSTORE_PASSWORD: STACK_KEYSTORE_PASSWORD,
              CA_FILE: tls.caFile,
            }
          : {}),
      };
      writeFileSync(properties, renderTemplates('kafka', templates, values));
      const classpath = `${jars}/*`;
      const log4j = `-Dlog4j.configuration=file:${join(infraDir, 'kafka', 'log4j.properties')}`;
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        const uuid = run(java, ['-cp', classpath, log4j, 'kafka.tools.StorageTool', 'random-uuid']);
        const clusterId = uuid.output.trim().split('\n').pop() ?? '';
        if (uuid.status !== 0 || !/^[A-Za-z0-9_-]{22}$/.test(clusterId)) {
          throw new Error(`${name}: could not make a cluster id:\n${uuid.output}`);
        }
        const format = run(java, [
          '-cp',
          classpath,
          log4j,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          properties,
          '--ignore-formatted',
          // SCRAM credentials live in the cluster metadata: made at format time.
          ...(secure
            ? [
                '--add-scram',
                `SCRAM-SHA-512=[name=${STACK_SECURE_USER},password=${STACK_SECURE_PASSWORD}]`,
              ]
            : []),
        ]);
        if (format.status !== 0)
          throw new Error(`${name}: storage format failed:\n${format.output}`);
        note(`formatted ${dataDir} (cluster ${clusterId})`);
      }
      return startDaemon({
        command: java,
        args: [
          '-Xms256m',
          '-Xmx512m',
          '-XX:+ExitOnOutOfMemoryError',
          '-cp',
          classpath,
          log4j,
          'kafka.Kafka',
          properties,
        ],
        cwd: confDir,
        logFile: paths.log(name),
        pidFile: paths.pid(name),
      });
    },
  };
}

export const kafka = kafkaService('kafka', 'WAIL_KAFKA_BROKERS', Defaults.kafkaBrokers);

/** A second broker, for moving a table between clusters; started only by name. */
export const kafkaHot: StackService = {
  ...kafkaService('kafka-hot', 'WAIL_KAFKA_HOT_BROKERS', '127.0.0.1:9192'),
  onDemand: true,
};

/**
 * How a client reaches kafka-secure: TLS trusting the stack's CA, SCRAM-SHA-512
 * as the stack's user (the services' WAIL_KAFKA_TLS_CA_FILE and
 * WAIL_KAFKA_SASL_* say the same).
 */
export function secureKafkaClient(env: NodeJS.ProcessEnv) {
  const tls = stackTlsFiles(stackPaths(stackHome(env)));
  return {
    tls: { ca: [readFileSync(tls.caFile, 'utf8')] },
    sasl: {
      mechanism: 'scram-sha-512' as const,
      username: STACK_SECURE_USER,
      password: STACK_SECURE_PASSWORD,
    },
  };
}

/**
 * A broker with a SASL_SSL listener only (PLAIN and SCRAM-SHA-512 over TLS,
 * certificates made by the stack into .wail/tls), for the secured-cluster
 * tests; started only by name.
 */
export const kafkaSecure: StackService = {
  ...kafkaService('kafka-secure', 'WAIL_KAFKA_SECURE_BROKERS', '127.0.0.1:9292', true),
  onDemand: true,
};

/**
 * A single Cassandra node of the stack's jars and template, with its own
 * data, conf and log under `name`. The secure one asks every client for TLS
 * (client encryption, the stack's certificate) and a password
 * (PasswordAuthenticator; the stack's user is made at its first ready check).
 */
function cassandraService(
  name: 'cassandra' | 'cassandra-secure',
  contactVariable: string,
  defaultContact: string,
  secure = false,
): StackService {
  const contact = (env: NodeJS.ProcessEnv) => env[contactVariable] ?? defaultContact;
  const prefix = `WAIL_${name.toUpperCase().replace('-', '_')}`;
  const connect = (env: NodeJS.ProcessEnv, user?: string, password?: string) =>
    new CassandraConnection({
      contactPoints: splitList(contact(env)),
      localDataCenter: env['WAIL_CASSANDRA_DATACENTER'] ?? Defaults.cassandraDatacenter,
      connectTimeoutMs: 1000,
      ...(secure
        ? {
            tls: { ca: readFileSync(stackTlsFiles(stackPaths(stackHome(env))).caFile, 'utf8') },
            username: user ?? STACK_SECURE_USER,
            password: password ?? STACK_SECURE_PASSWORD,
          }
        : {}),
    });
  return {
    name,
    externalVariable: contactVariable,
    readyTimeoutMs: 240_000,
    endpoint: (env) => firstEndpoint(contact(env)),
    async ready(env) {
      if (secure) await ensureSecureRole(env, connect);
      const connection = connect(env);
      try {
        await connection.ping();
      } finally {
        await connection.close();
      }
    },
    start(paths, env, note) {
      // Cassandra 5.0 runs on Java 11 or 17 only.
      const java = javaFor(name, [17, 11], env);
      const jars = jarsFor('cassandra', paths, note);
      const { host, port } = this.endpoint(env);
      const dataDir = paths.data(name);
      const confDir = paths.conf(name);
      mkdirSync(confDir, { recursive: true });
      mkdirSync(dataDir, { recursive: true });
      const yaml = join(confDir, 'cassandra.yaml');
      const tls = secure ? ensureStackTls(paths, note) : undefined;
      const values = {
        CASSANDRA_HOST: host,
        CASSANDRA_PORT: port,
        CASSANDRA_STORAGE_PORT: Number(env[`${prefix}_STORAGE_PORT`] ?? (secure ? 7200 : 7000)),
        CASSANDRA_CLUSTER: secure ? 'wail-local-secure' : 'wail-local',
        CASSANDRA_AUTHENTICATOR: secure ? 'PasswordAuthenticator' : 'AllowAllAuthenticator',
        DATA_DIR: dataDir,
        ...(tls
          ? { KEYSTORE_FILE: tls.keystoreFile, KEYSTORE_PASSWORD: STACK_KEYSTORE_PASSWORD }
          : {}),
      };
      const templates = ['cassandra.yaml.template'];
      if (secure) templates.push('cassandra-secure.yaml.template');
      writeFileSync(yaml, renderTemplates('cassandra', templates, values));
      const jvmOptions = readFileSync(join(infraDir, 'cassandra', 'jvm17.options'), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0 && !line.startsWith('#'));
      const heap = env[`${prefix}_HEAP`] ?? (secure ? '512M' : '1G');
      return startDaemon({
        command: java,
        args: [
          `-Xms${heap}`,
          `-Xmx${heap}`,
          secure ? '-Xmn100M' : '-Xmn200M',
          '-XX:+ExitOnOutOfMemoryError',
          ...jvmOptions,
          `-javaagent:${findJar(jars, 'jamm-')}`,
          `-Dcassandra.config=file://${yaml}`,
          `-Dcassandra.storagedir=${dataDir}`,
          '-Dcassandra-foreground=yes',
          '-Dcassandra.skip_wait_for_gossip_to_settle=0',
          // The default superuser at once, not 10 s after start.
          ...(secure ? ['-Dcassandra.superuser_setup_delay_ms=0'] : []),
          `-Dcassandra.logdir=${join(paths.home, 'logs')}`,
          `-Dlogback.configurationFile=${join(infraDir, 'cassandra', 'logback.xml')}`,
          '-cp',
          `${jars}/*`,
          'org.apache.cassandra.service.CassandraDaemon',
        ],
        cwd: confDir,
        logFile: paths.log(name),
        pidFile: paths.pid(name),
      });
    },
  };
}

/**
 * The stack's user on cassandra-secure: made once as the default superuser
 * (cassandra/cassandra, which a fresh PasswordAuthenticator node creates), a
 * superuser itself so tests can make keyspaces.
 */
async function ensureSecureRole(
  env: NodeJS.ProcessEnv,
  connect: (env: NodeJS.ProcessEnv, user?: string, password?: string) => CassandraConnection,
): Promise<void> {
  const own = connect(env);
  try {
    await own.ping();
    return;
  } catch {
    // not made yet (or the node is not up: the default superuser says which)
  } finally {
    await own.close();
  }
  const admin = connect(env, 'cassandra', 'cassandra');
  try {
    await admin.client.execute(
      `CREATE ROLE IF NOT EXISTS ${STACK_SECURE_USER} WITH PASSWORD = '${STACK_SECURE_PASSWORD}' AND LOGIN = true AND SUPERUSER = true`,
    );
  } finally {
    await admin.close();
  }
}

export const cassandra = cassandraService(
  'cassandra',
  'WAIL_CASSANDRA_CONTACT_POINTS',
  Defaults.cassandraContactPoints,
);

/** Cassandra with client TLS and password authentication, for the secured-cluster tests; started only by name. */
export const cassandraSecure: StackService = {
  ...cassandraService(
    'cassandra-secure',
    'WAIL_CASSANDRA_SECURE_CONTACT_POINTS',
    '127.0.0.1:9242',
    true,
  ),
  onDemand: true,
};

const mariadbd = '/usr/sbin/mariadbd';

/**
 * Starts an installed server of the machine in the background with a pid
 * file of the stack's, so that `down` stops what `up` started and nothing else.
 */
function startInstalled(
  name: ServiceName,
  binary: string,
  args: readonly string[],
  paths: StackPaths,
): number {
  const pidFile = paths.pid(name);
  mkdirSync(join(paths.home, 'run'), { recursive: true });
  const result = run('start-stop-daemon', [
    '--start',
    '--oknodo',
    '--background',
    '--make-pidfile',
    '--pidfile',
    pidFile,
    '--exec',
    binary,
    ...(args.length > 0 ? ['--', ...args] : []),
  ]);
  if (result.status !== 0) throw new Error(`${name}: could not start ${binary}:\n${result.output}`);
  return Number(readFileSync(pidFile, 'utf8').trim());
}

export const mysql: StackService = {
  name: 'mysql',
  externalVariable: 'WAIL_MYSQL_URL',
  readyTimeoutMs: 60_000,
  endpoint(env) {
    const url = new URL(env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl);
    return { host: url.hostname, port: url.port ? Number(url.port) : 3306 };
  },
  async ready(env) {
    const connection = new MysqlConnection({
      url: env['WAIL_MYSQL_URL'] ?? Defaults.mysqlUrl,
      connectionLimit: 1,
      connectTimeoutMs: 1000,
    });
    try {
      await connection.ping();
    } finally {
      await connection.close();
    }
  },
  start(paths) {
    // MariaDB is the machine's own service: the stack only starts the installed
    // server when it is down, and remembers that it did so `down` can undo it.
    if (!existsSync(mariadbd) || !commandExists('start-stop-daemon')) {
      throw new Error(
        'mysql: nothing answers on 127.0.0.1:3306 and no MariaDB server is installed (Debian: apt-get install mariadb-server), or set WAIL_MYSQL_URL',
      );
    }
    return startInstalled('mysql', mariadbd, [], paths);
  },
};

const secureMysqlUrl = (env: NodeJS.ProcessEnv) =>
  env['WAIL_MYSQL_SECURE_URL'] ?? 'mysql://127.0.0.1:3406';

/**
 * A second MariaDB of the machine's installed server, with its own data under
 * .wail: TLS only (`require_secure_transport`, the stack's certificate) and
 * one user, the stack's, that must use it; for the secured-cluster tests,
 * started only by name.
 */
export const mysqlSecure: StackService = {
  name: 'mysql-secure',
  externalVariable: 'WAIL_MYSQL_SECURE_URL',
  readyTimeoutMs: 60_000,
  onDemand: true,
  endpoint: (env) => urlEndpoint(secureMysqlUrl(env), 3306),
  async ready(env) {
    const tls = stackTlsFiles(stackPaths(stackHome(env)));
    const connection = new MysqlConnection({
      url: secureMysqlUrl(env),
      user: STACK_SECURE_USER,
      password: STACK_SECURE_PASSWORD,
      tls: { ca: readFileSync(tls.caFile, 'utf8') },
      connectionLimit: 1,
      connectTimeoutMs: 1000,
    });
    try {
      await connection.ping();
    } finally {
      await connection.close();
    }
  },
  start(paths, env, note) {
    if (!existsSync(mariadbd) || !commandExists('mariadb-install-db'))
      throw new Error(
        'mysql-secure: no MariaDB server is installed (Debian: apt-get install mariadb-server), or set WAIL_MYSQL_SECURE_URL',
      );
    const tls = ensureStackTls(paths, note);
    const { host, port } = this.endpoint(env);
    const dataDir = paths.data('mysql-secure');
    const confDir = paths.conf('mysql-secure');
    mkdirSync(confDir, { recursive: true });
    if (!existsSync(join(dataDir, 'mysql'))) {
      const install = run('mariadb-install-db', [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--user=root',
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ]);
      if (install.status !== 0)
        throw new Error(`mysql-secure: mariadb-install-db failed:\n${install.output}`);
      note(`initialised ${dataDir}`);
    }
    // Run at every start (idempotent): the stack's user, over TLS only.
    const init = join(confDir, 'init.sql');
    writeFileSync(
      init,
      [
        `CREATE USER IF NOT EXISTS '${STACK_SECURE_USER}'@'127.0.0.1' IDENTIFIED BY '${STACK_SECURE_PASSWORD}' REQUIRE SSL;`,
        `GRANT ALL PRIVILEGES ON *.* TO '${STACK_SECURE_USER}'@'127.0.0.1' WITH GRANT OPTION;`,
        '',
      ].join('\n'),
    );
    return startDaemon({
      command: mariadbd,
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--user=root',
        `--bind-address=${host}`,
        `--port=${port}`,
        `--socket=${join(paths.home, 'run', 'mysql-secure.sock')}`,
        `--pid-file=${join(paths.home, 'run', 'mysql-secure.mariadb.pid')}`,
        `--ssl-ca=${tls.caFile}`,
        `--ssl-cert=${tls.certFile}`,
        `--ssl-key=${tls.keyFile}`,
        '--require-secure-transport=ON',
        `--init-file=${init}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=64M',
        '--max-connections=500',
      ],
      cwd: confDir,
      logFile: paths.log('mysql-secure'),
      pidFile: paths.pid('mysql-secure'),
    });
  },
};

const redisServer = '/usr/bin/redis-server';

/** Where a URL's server listens. */
function urlEndpoint(url: string, defaultPort: number): Endpoint {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : defaultPort };
}

export const postgres: StackService = {
  name: 'postgres',
  externalVariable: 'WAIL_POSTGRES_URL',
  readyTimeoutMs: 60_000,
  endpoint: (env) => urlEndpoint(env['WAIL_POSTGRES_URL'] ?? Defaults.postgresUrl, 5432),
  async ready(env) {
    const connection = new PostgresConnection({
      url: env['WAIL_POSTGRES_URL'] ?? Defaults.postgresUrl,
      poolSize: 1,
      timeoutMs: 1000,
    });
    try {
      await connection.ping();
    } finally {
      await connection.close();
    }
  },
  start() {
    // The machine's own service, as MariaDB: started through its cluster
    // manager only when down; `down` leaves it alone (its pid is not ours).
    const cluster = (process.env['WAIL_STACK_PG_CLUSTER'] ?? '15 main').split(' ');
    if (!commandExists('pg_ctlcluster'))
      throw new Error(
        'postgres: nothing answers on 127.0.0.1:5432 and no PostgreSQL cluster manager is installed (Debian: apt-get install postgresql), or set WAIL_POSTGRES_URL',
      );
    const result = run('pg_ctlcluster', [...cluster, 'start']);
    if (result.status !== 0)
      throw new Error(
        `postgres: pg_ctlcluster ${cluster.join(' ')} start failed:\n${result.output}`,
      );
    return undefined;
  },
};

export const redis: StackService = {
  name: 'redis',
  externalVariable: 'WAIL_REDIS_URL',
  readyTimeoutMs: 30_000,
  endpoint: (env) => urlEndpoint(env['WAIL_REDIS_URL'] ?? Defaults.redisUrl, 6379),
  async ready(env) {
    const client = new Redis(env['WAIL_REDIS_URL'] ?? Defaults.redisUrl, {
      lazyConnect: true,
      connectTimeout: 1000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // The failed connect rejects connect() below; the event would only be printed.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  },
  start(paths) {
    if (!existsSync(redisServer) || !commandExists('start-stop-daemon'))
      throw new Error(
        'redis: nothing answers on 127.0.0.1:6379 and no Redis server is installed (Debian: apt-get install redis-server), or set WAIL_REDIS_URL',
      );
    // As the machine runs it: loopback only, nothing on disk.
    const args = ['--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'];
    return startInstalled('redis', redisServer, args, paths);
  },
};

/** The claim store of the stack's settings: the same defaults the services use. */
function claimStoreOf(env: NodeJS.ProcessEnv): ClaimStore {
  return new ClaimStore({
    endpoint: env['WAIL_S3_ENDPOINT'] ?? Defaults.s3Endpoint,
    region: env['WAIL_S3_REGION'] ?? Defaults.s3Region,
    bucket: env['WAIL_S3_BUCKET'] ?? Defaults.s3Bucket,
    accessKeyId: env['WAIL_S3_ACCESS_KEY_ID'] ?? Defaults.s3AccessKeyId,
    secretAccessKey: env['WAIL_S3_SECRET_ACCESS_KEY'] ?? Defaults.s3SecretAccessKey,
    maxObjectBytes: 1024,
    requestTimeoutMs: 1000,
  });
}

/**
 * s3proxy on its filesystem backend: the S3-compatible object store of claim
 * checks. Ready once a signed S3 request succeeds; the bucket is created then.
 */
export const s3proxy: StackService = {
  name: 's3proxy',
  externalVariable: 'WAIL_S3_ENDPOINT',
  readyTimeoutMs: 60_000,
  endpoint: (env) => urlEndpoint(env['WAIL_S3_ENDPOINT'] ?? Defaults.s3Endpoint, 80),
  async ready(env) {
    const store = claimStoreOf(env);
    try {
      await store.ensureBucket();
    } finally {
      store.close();
    }
  },
  start(paths, env, note) {
    const java = javaFor('s3proxy', [17, 21, 25], env);
    const jars = jarsFor('s3proxy', paths, note);
    const { host, port } = this.endpoint(env);
    const dataDir = paths.data('s3proxy');
    const confDir = paths.conf('s3proxy');
    mkdirSync(confDir, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
    const properties = join(confDir, 's3proxy.properties');
    writeFileSync(
      properties,
      render(readFileSync(join(infraDir, 's3proxy', 's3proxy.properties.template'), 'utf8'), {
        OBJECT_STORE_HOST: host,
        OBJECT_STORE_PORT: port,
        OBJECT_STORE_IDENTITY: env['WAIL_S3_ACCESS_KEY_ID'] ?? Defaults.s3AccessKeyId,
        OBJECT_STORE_CREDENTIAL: env['WAIL_S3_SECRET_ACCESS_KEY'] ?? Defaults.s3SecretAccessKey,
        DATA_DIR: dataDir,
      }),
    );
    return startDaemon({
      command: java,
      args: [
        '-Xms64m',
        '-Xmx256m',
        '-XX:+ExitOnOutOfMemoryError',
        '-cp',
        `${jars}/*`,
        'org.gaul.s3proxy.Main',
        '--properties',
        properties,
      ],
      cwd: confDir,
      logFile: paths.log('s3proxy'),
      pidFile: paths.pid('s3proxy'),
    });
  },
};

/** Start order: the slowest first, so its start overlaps the others'. */
export const services: readonly StackService[] = [
  cassandra,
  cassandraSecure,
  kafka,
  kafkaHot,
  kafkaSecure,
  mysql,
  mysqlSecure,
  postgres,
  redis,
  s3proxy,
];
