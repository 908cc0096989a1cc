import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createConnection, createPool } from 'mysql2/promise';
import pg from 'pg';
import { Defaults, splitList } from '@wail/config';
import { KafkaClient, PartitionConsumer } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { CpuMeter, processTreeCpuMs } from './cpu';
import { freePort, offerLoad, quantile, record, repoRoot, say } from './harness';
import { startWail, type WailSide } from './wail-side';

/**
 * Debezium on the same machine, for comparison with WAIL (issue 14): a second
 * database started here with change capture on (its own datadir and port),
 * Debezium's embedded engine in tools/bench/debezium producing each change to
 * a Kafka topic, and direct writes to the database at each offered rate.
 *
 * Per rate: writes/s achieved, commit → event latency p50/p99 (the client's
 * acknowledgement of the write → the event's arrival at this process's
 * consumer), events per write, and CPU-ms per write of the database server and
 * of the Java harness. Then keys written twice at once (two connections, the
 * second waiting on the first's row lock): how many events each key got.
 *
 * Then WAIL on the same database and the same load (wail-side.ts: the
 * repository, a proxy and a consumer as processes; the harness stopped first,
 * so the server decodes no WAL for it): the same writes through the proxy,
 * acknowledgement → event latency (the first event of the key at the write's
 * version or later), events per write, CPU-ms per write of the database
 * server, the proxy and the consumer, and the ratios to Debezium at each rate.
 * `--debezium-only` leaves WAIL out. `--smoke` (one rate, 5 s) runs in .ci/run.
 *
 * PostgreSQL by default: Debezium 3.6's MySQL connector refuses MariaDB (it
 * sends SHOW BINARY LOG STATUS, which MariaDB 10.11 rejects) and its MariaDB
 * connector is not served by the registry here; `--db mariadb` reproduces that.
 *
 * Usage: npx tsx tools/bench/src/debezium.ts [--smoke] [--duration 15] [--rates 200,500,1000]
 *        [--connections 64] [--keys 1000] [--poll-interval-ms 50] [--db postgres|mariadb]
 *        [--debezium-only] [--no-results]
 */
const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string', default: '15' },
    rates: { type: 'string', default: '200,500,1000' },
    connections: { type: 'string', default: '64' },
    keys: { type: 'string', default: '1000' },
    'poll-interval-ms': { type: 'string', default: '50' },
    db: { type: 'string', default: 'postgres' },
    'no-results': { type: 'boolean', default: false },
    'debezium-only': { type: 'boolean', default: false },
  },
});
const smoke = values.smoke!;
const duration = smoke ? 5 : Number(values.duration);
const rates = smoke ? [100] : splitList(values.rates!).map(Number);
const connections = Number(values.connections);
const keyCount = Number(values.keys);
const pollIntervalMs = Number(values['poll-interval-ms']);
const dbKind = values.db!;
if (dbKind !== 'postgres' && dbKind !== 'mariadb')
  throw new Error('--db must be postgres or mariadb');
if (rates.some((rate) => !(rate > 0))) throw new Error('--rates must be positive numbers');
const brokers = splitList(process.env['WAIL_KAFKA_BROKERS'] ?? Defaults.kafkaBrokers);
const home = process.env['WAIL_HOME'] ? resolve(process.env['WAIL_HOME']) : join(repoRoot, '.wail');
const harnessDir = join(repoRoot, 'tools', 'bench', 'debezium');
const harnessSource = join(harnessDir, 'src', 'main', 'java', 'dev', 'wail', 'bench', 'debezium');
const cacheDir = join(home, 'bench', 'debezium');
/** Keys written twice at once, after the rate runs; above the load's key set. */
const TWICE_KEYS = 20;
const TWICE_BASE = 1_000_000_000;
const GRACE_MS = 15_000;
/** Seconds of the lowest rate each side takes first, not counted. */
const WARM_UP_SECONDS = 3;
const DATABASE = 'bench';

/** A JDK tool, as the local stack picks its JDK: WAIL_JAVA_HOME, then JAVA_HOME, then the PATH. */
const javaHome = process.env['WAIL_JAVA_HOME'] ?? process.env['JAVA_HOME'];
const jdkTool = (name: string) => (javaHome ? join(javaHome, 'bin', name) : name);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const sha256 = (...texts: string[]) => {
  const hash = createHash('sha256');
  for (const text of texts) hash.update(text);
  return hash.digest('hex');
};

function runOrThrow(command: string, args: string[], what: string, uid?: number): void {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    ...(uid === undefined ? {} : { uid }),
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`;
    throw new Error(`${what} failed:\n${output.split('\n').slice(-20).join('\n')}`);
  }
}

/**
 * The harness's classpath from Maven Central (as infra/local's ensureJars:
 * copy-dependencies into a folder, keyed by the POM's hash) and its classes
 * compiled with javac against it (keyed by the POM and the sources).
 */
function ensureHarness(): { classpath: string; resolved: string } {
  const pom = join(harnessDir, 'pom.xml');
  const pomText = readFileSync(pom, 'utf8');
  const jars = join(cacheDir, 'jars');
  const jarStamp = join(jars, '.pom.sha256');
  let resolved = 'cached';
  if (!existsSync(jarStamp) || readFileSync(jarStamp, 'utf8').trim() !== sha256(pomText)) {
    const staging = `${jars}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    const started = performance.now();
    runOrThrow(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        pom,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ],
      `mvn dependency:copy-dependencies -f ${pom} (Debian: apt-get install maven)`,
    );
    writeFileSync(join(staging, '.pom.sha256'), `${sha256(pomText)}\n`);
    rmSync(jars, { recursive: true, force: true });
    renameSync(staging, jars);
    resolved = `resolved in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  }
  const sources = readdirSync(harnessSource)
    .filter((name) => name.endsWith('.java'))
    .map((name) => join(harnessSource, name));
  const classes = join(cacheDir, 'classes');
  const classStamp = join(classes, '.sources.sha256');
  const sourceHash = sha256(pomText, ...sources.map((file) => readFileSync(file, 'utf8')));
  if (!existsSync(classStamp) || readFileSync(classStamp, 'utf8').trim() !== sourceHash) {
    rmSync(classes, { recursive: true, force: true });
    runOrThrow(
      jdkTool('javac'),
      ['--release', '17', '-d', classes, '-cp', `${jars}/*`, ...sources],
      'javac of the Debezium harness (Debian: apt-get install openjdk-17-jdk-headless)',
    );
    writeFileSync(classStamp, `${sourceHash}\n`);
  }
  return { classpath: `${classes}:${jars}/*`, resolved };
}

/** The second database: its server process and a way to write and to stop it. */
interface Database {
  label: string;
  server: ChildProcess;
  port: number;
  /** Harness arguments naming the connector and the credentials. */
  harnessArgs: string[];
  /** Upserts `n` for `id`; resolves at the client's acknowledgement of the commit. */
  upsert(id: number, n: number): Promise<void>;
  /** Runs a statement in the bench database. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

function waitExit(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

function daemon(command: string, args: string[], logFile: string, uid?: number): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', log, log],
    ...(uid === undefined ? {} : { uid }),
  });
  closeSync(log);
  return child;
}

async function until(
  what: string,
  server: ChildProcess,
  logFile: string,
  probe: () => Promise<void>,
) {
  let last: unknown;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (server.exitCode !== null) break;
    try {
      return await probe();
    } catch (error) {
      last = error;
      await sleep(200);
    }
  }
  const log = existsSync(logFile)
    ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')
    : '';
  throw new Error(`${what} did not start (${String(last)}):\n${log}`);
}

const postgresBin = process.env['WAIL_POSTGRES_BIN'] ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of its own (initdb, trust on loopback) with
 * wal_level=logical. PostgreSQL refuses to run as root: then it runs as the
 * `postgres` user, which owns the datadir.
 */
async function startPostgres(dir: string): Promise<Database> {
  const port = await freePort();
  const uid =
    process.getuid?.() === 0
      ? Number(spawnSync('id', ['-u', 'postgres']).stdout.toString())
      : undefined;
  if (uid !== undefined && !(uid > 0)) throw new Error('running as root needs a `postgres` user');
  const dataDir = join(dir, 'pgdata');
  if (uid !== undefined) spawnSync('chown', [String(uid), dir]);
  runOrThrow(
    join(postgresBin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'],
    'initdb (Debian: apt-get install postgresql-15, or set WAIL_POSTGRES_BIN)',
    uid,
  );
  const logFile = join(dir, 'postgres.log');
  const server = daemon(
    join(postgresBin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=4',
      '-c',
      'max_wal_senders=4',
      '-c',
      'max_connections=200',
    ],
    logFile,
    uid,
  );
  const connect = (database: string) =>
    new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
  await until('postgres', server, logFile, async () => {
    const client = connect('postgres');
    try {
      await client.connect();
      await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: DATABASE,
    max: connections + 2,
  });
  // An idle client reports the server's shutdown at teardown as an error event: expected then.
  pool.on('error', () => undefined);
  await pool.query('CREATE TABLE items (id BIGINT PRIMARY KEY, n INT, pad VARCHAR(64))');
  return {
    label:
      'PostgreSQL 15, wal_level=logical, connector io.debezium.connector.postgresql (pgoutput)',
    server,
    port,
    harnessArgs: ['--connector=postgres', '--user=postgres', '--password='],
    async upsert(id, n) {
      await pool.query(
        "INSERT INTO items (id, n, pad) VALUES ($1, $2, 'bench') ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n",
        [id, n],
      );
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      await pool.end().catch(() => undefined);
      // SIGINT: fast shutdown (disconnects the WAL sender, no checkpoint wait).
      await waitExit(server, 'SIGINT', 20_000);
    },
  };
}

/** A MariaDB of its own with the binary log in ROW format (what Debezium's MySQL connector reads). */
async function startMariadb(dir: string): Promise<Database> {
  const port = await freePort();
  const dataDir = join(dir, 'data');
  runOrThrow(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--user=root',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    'mariadb-install-db (Debian: apt-get install mariadb-server)',
  );
  const logFile = join(dir, 'mariadb.log');
  const server = daemon(
    '/usr/sbin/mariadbd',
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--user=root',
      '--bind-address=127.0.0.1',
      `--port=${port}`,
      `--socket=${join(dir, 'mariadb.sock')}`,
      `--pid-file=${join(dir, 'mariadb.pid')}`,
      `--log-bin=${join(dataDir, 'binlog')}`,
      '--binlog-format=ROW',
      '--binlog-row-image=FULL',
      '--server-id=1',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=64M',
      '--max-connections=200',
    ],
    logFile,
  );
  const options = { host: '127.0.0.1', port, user: 'root' };
  await until('mariadbd', server, logFile, async () => {
    const connection = await createConnection(options);
    try {
      await connection.query(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
    } finally {
      await connection.end();
    }
  });
  const pool = createPool({
    ...options,
    database: DATABASE,
    connectionLimit: connections + 2,
  });
  await pool.query('CREATE TABLE items (id BIGINT PRIMARY KEY, n INT, pad VARCHAR(64))');
  return {
    label: 'MariaDB 10.11, binlog ROW, connector io.debezium.connector.mysql',
    server,
    port,
    harnessArgs: ['--connector=mysql', '--user=root', '--password=', '--server-id=5401'],
    async upsert(id, n) {
      await pool.query(
        "INSERT INTO items (id, n, pad) VALUES (?, ?, 'bench') ON DUPLICATE KEY UPDATE n = VALUES(n)",
        [id, n],
      );
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      await pool.end().catch(() => undefined);
      await waitExit(server, 'SIGTERM', 30_000);
    },
  };
}

/** Starts the harness and resolves once it prints `ready` (its connector streams). */
function startHarness(classpath: string, args: string[], logFile: string): Promise<ChildProcess> {
  const log = openSync(logFile, 'a');
  const child = spawn(
    jdkTool('java'),
    [
      '-Xmx512m',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      classpath,
      'dev.wail.bench.debezium.Harness',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', log] },
  );
  closeSync(log);
  return new Promise((done, fail) => {
    // The log's last lines without stack frames: the cause is in the messages.
    const tail = () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => !/^\s+(at |\.\.\. \d+ more)/.test(line))
        .slice(-12)
        .join('\n');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the Debezium harness was not ready after 120 s:\n${tail()}`));
    }, 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the Debezium harness exited with ${code}:\n${tail()}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.trim() !== 'ready') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      done(child);
    });
  });
}

/** Every event on the harness's topic, by the `n` of the write it carries. */
class EventLog {
  /** performance.now() of each arrival, by n. */
  readonly arrivals = new Map<number, number[]>();
  /** The harness's wall clock when it produced the first event of each n. */
  readonly produced = new Map<number, number>();
  readonly byKey = new Map<string, number>();

  record(key: string, n: number, at: number, harnessTsMs: number): void {
    const list = this.arrivals.get(n);
    if (list) list.push(at);
    else {
      this.arrivals.set(n, [at]);
      this.produced.set(n, harnessTsMs);
    }
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
  }
}

interface RateFigures {
  offered: number;
  achieved: number;
  acked: number;
  errors: number;
  delivered: number;
  events: number;
  p50: number;
  p99: number;
  /** Commit → the harness producing the event (wall clocks of one machine). */
  toHarnessP50: number;
  toHarnessP99: number;
  cpu: Map<string, number>;
}

/** One acknowledged write of a load: its key, its `n`, when it was acknowledged, and its version when the system says (WAIL). */
interface Ack {
  id: number;
  n: number;
  at: number;
  wallAt: number;
  version: number | undefined;
}

/**
 * Offers `rate` writes/s for `duration` s, evenly paced, at most `connections`
 * in flight (harness `offerLoad`), round robin over the key set: the same load
 * for Debezium (straight to the database) and for WAIL (through the proxy).
 */
async function offerWrites(
  rate: number,
  write: (id: number, n: number) => Promise<number | void>,
  next: () => number,
  seconds = duration,
): Promise<{ acks: Ack[]; errors: number; elapsed: number }> {
  const offered = await offerLoad({
    rate,
    seconds,
    connections,
    write: async (index) => {
      const id = index % keyCount;
      const n = next();
      return { id, n, version: (await write(id, n)) ?? undefined };
    },
  });
  return {
    ...offered,
    acks: offered.acks.map(({ at, wallAt, result }) => ({ ...result, at, wallAt })),
  };
}

/** Waits up to GRACE_MS for every write's event; the latencies of those that came, sorted. */
async function latencies(acks: readonly Ack[], arrival: (ack: Ack) => number | undefined) {
  const deadline = performance.now() + GRACE_MS;
  while (acks.some((ack) => arrival(ack) === undefined) && performance.now() < deadline)
    await sleep(50);
  const found: number[] = [];
  for (const ack of acks) {
    const at = arrival(ack);
    if (at !== undefined) found.push(at - ack.at);
  }
  return found.sort((a, b) => a - b);
}

/** The Debezium side at `rate`: writes straight to the database, events by the `n` they carry. */
async function runRate(
  db: Database,
  events: EventLog,
  meter: CpuMeter,
  rate: number,
  next: () => number,
) {
  meter.start();
  const { acks, errors, elapsed } = await offerWrites(rate, (id, n) => db.upsert(id, n), next);
  const sorted = await latencies(acks, (ack) => events.arrivals.get(ack.n)?.[0]);
  const cpu = meter.stop();
  const toHarness: number[] = [];
  let eventCount = 0;
  for (const ack of acks) {
    const arrivals = events.arrivals.get(ack.n);
    if (!arrivals) continue;
    eventCount += arrivals.length;
    toHarness.push(events.produced.get(ack.n)! - ack.wallAt);
  }
  toHarness.sort((a, b) => a - b);
  return {
    offered: rate,
    achieved: acks.length / elapsed,
    acked: acks.length,
    errors,
    delivered: sorted.length,
    events: eventCount,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    toHarnessP50: quantile(toHarness, 0.5),
    toHarnessP99: quantile(toHarness, 0.99),
    cpu,
  } satisfies RateFigures;
}

/** The WAIL side at `rate`: the same writes through the proxy, events by key and version. */
async function runWailRate(wail: WailSide, meter: CpuMeter, rate: number, next: () => number) {
  const eventsBefore = wail.events;
  meter.start();
  const { acks, errors, elapsed } = await offerWrites(rate, (id, n) => wail.upsert(id, n), next);
  const sorted = await latencies(acks, (ack) => wail.arrival(ack.id, ack.version!));
  const cpu = meter.stop();
  return {
    achieved: acks.length / elapsed,
    acked: acks.length,
    errors,
    delivered: sorted.length,
    events: wail.events - eventsBefore,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    cpu,
  };
}

/** Each of TWICE_KEYS keys written by two connections at once: the gap between acks, and events per key. */
async function writeTwice(db: Database, events: EventLog, next: () => number) {
  const gaps: number[] = [];
  for (let i = 0; i < TWICE_KEYS; i++) {
    const id = TWICE_BASE + i;
    const acks = await Promise.all(
      [next(), next()].map((n) => db.upsert(id, n).then(() => performance.now())),
    );
    gaps.push(Math.abs(acks[1]! - acks[0]!));
  }
  const deadline = performance.now() + GRACE_MS;
  const seen = () =>
    Array.from({ length: TWICE_KEYS }, (_, i) => events.byKey.get(String(TWICE_BASE + i)) ?? 0);
  while (seen().some((count) => count < 2) && performance.now() < deadline) await sleep(50);
  // A moment more, so a third (duplicate) event would be counted too.
  await sleep(500);
  const counts = seen();
  gaps.sort((a, b) => a - b);
  return {
    gapP50: quantile(gaps, 0.5),
    gapMax: gaps[gaps.length - 1]!,
    withinOneMs: gaps.filter((gap) => gap < 1).length,
    events: counts.reduce((sum, count) => sum + count, 0),
    keysWithTwo: counts.filter((count) => count === 2).length,
  };
}

/** Each of TWICE_KEYS keys written twice at once through the proxy: events per key (WAIL may answer both with one read). */
async function writeTwiceThroughWail(wail: WailSide, next: () => number) {
  const gaps: number[] = [];
  const last = new Map<number, number>();
  for (let i = 0; i < TWICE_KEYS; i++) {
    const id = TWICE_BASE + i;
    const acks = await Promise.all(
      [next(), next()].map((n) =>
        wail.upsert(id, n).then((version) => ({ version, at: performance.now() })),
      ),
    );
    gaps.push(Math.abs(acks[1]!.at - acks[0]!.at));
    last.set(id, Math.max(acks[0]!.version, acks[1]!.version));
  }
  const deadline = performance.now() + GRACE_MS;
  while (
    [...last].some(([id, version]) => wail.arrival(id, version) === undefined) &&
    performance.now() < deadline
  )
    await sleep(50);
  await sleep(500);
  const counts = [...last.keys()].map((id) => wail.eventsOf(id));
  gaps.sort((a, b) => a - b);
  return {
    gapP50: quantile(gaps, 0.5),
    withinOneMs: gaps.filter((gap) => gap < 1).length,
    events: counts.reduce((sum, count) => sum + count, 0),
    latestPublished: [...last].filter(([id, version]) => wail.arrival(id, version) !== undefined)
      .length,
  };
}

/** The highest offered rate whose run achieved ≥ 95 % of it with p99 < 1 s. */
function sustained(runs: ReadonlyMap<number, { achieved: number; p99: number }>): string {
  const ok = [...runs].filter(([rate, run]) => run.achieved >= 0.95 * rate && run.p99 < 1000);
  if (ok.length === 0) return 'none of the offered rates';
  return `${Math.max(...ok.map(([rate]) => rate))} writes/s (offered: ${[...runs.keys()].join(', ')})`;
}

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

async function main(): Promise<void> {
  const { classpath, resolved } = ensureHarness();
  say(`Debezium harness: jars ${resolved}`);
  const dir = mkdtempSync(join(tmpdir(), 'wail-bench-debezium-'));
  const topic = `wail-bench-debezium-${Date.now()}`;
  const kafka = new KafkaClient({
    brokers,
    clientId: 'wail-bench-debezium',
    logger: silentLogger(),
  });
  let db: Database | undefined;
  let harness: ChildProcess | undefined;
  let consumer: PartitionConsumer | undefined;
  let wail: WailSide | undefined;
  const cleanup = async () => {
    try {
      await wail?.stop();
      await consumer?.stop().catch(() => undefined);
      if (harness) {
        const stopped = performance.now();
        await waitExit(harness, 'SIGTERM', 30_000);
        say(
          `harness stopped on SIGTERM in ${fmt((performance.now() - stopped) / 1000)} s (exit ${harness.exitCode ?? harness.signalCode})`,
        );
      }
      await db?.close();
      await kafka.deleteTopics([topic]).catch(() => undefined);
      await kafka.close().catch(() => undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const interrupted = () => {
    harness?.kill('SIGKILL');
    db?.server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    db = dbKind === 'postgres' ? await startPostgres(dir) : await startMariadb(dir);
    say(`${db.label}: port ${db.port}, datadir under ${dir}`);
    await kafka.ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    const events = new EventLog();
    consumer = new PartitionConsumer(kafka, {
      groupId: `${topic}-bench`,
      logger: silentLogger(),
      fromBeginning: true,
      onBatch: async (batch) => {
        const now = performance.now();
        for (const item of batch.records) {
          const value = JSON.parse(item.value!.toString()) as {
            after: { n: number } | null;
            harnessTsMs: number;
          };
          if (value.after)
            events.record(item.key?.toString() ?? '', value.after.n, now, value.harnessTsMs);
        }
      },
    });
    await consumer.setTopics([topic]);
    const readyStarted = performance.now();
    harness = await startHarness(
      classpath,
      [
        ...db.harnessArgs,
        '--host=127.0.0.1',
        `--port=${db.port}`,
        `--database=${DATABASE}`,
        '--table=items',
        `--bootstrap=${brokers.join(',')}`,
        `--topic=${topic}`,
        `--state-dir=${join(dir, 'debezium-state')}`,
        `--poll-interval-ms=${pollIntervalMs}`,
      ],
      join(dir, 'harness.log'),
    );
    const readySeconds = (performance.now() - readyStarted) / 1000;
    say(`harness ready in ${readySeconds.toFixed(1)} s (pid ${harness.pid})`);
    // Let the consumer join its group before the first write.
    await sleep(3000);

    const serverPid = db.server.pid!;
    const harnessPid = harness.pid!;
    const meter = new CpuMeter(
      new Map([
        ['database server', () => processTreeCpuMs(serverPid)],
        ['Debezium harness', () => processTreeCpuMs(harnessPid)],
      ]),
    );
    let sequence = 0;
    const next = () => ++sequence;
    const rows: [string, string][] = [
      ['database', db.label],
      [
        'Debezium',
        `3.6.1.Final embedded engine (async), poll.interval.ms=${pollIntervalMs}, Kafka producer acks=all linger.ms=1`,
      ],
      ['harness start → ready (streaming)', `${fmt(readySeconds)} s`],
    ];
    const debezium = new Map<number, { achieved: number; p99: number; dbCpu: number }>();
    // Both sides first take WARM_UP_SECONDS of the lowest rate, not counted:
    // connections, caches and topic metadata are warm when measuring starts.
    await offerWrites(rates[0]!, (id, n) => db!.upsert(id, n), next, WARM_UP_SECONDS);
    for (const rate of rates) {
      say(`Debezium: offering ${rate} writes/s for ${duration} s`);
      const figures = await runRate(db, events, meter, rate, next);
      const perWrite = (name: string) => (figures.cpu.get(name) ?? NaN) / figures.acked;
      debezium.set(rate, {
        achieved: figures.achieved,
        p99: figures.p99,
        dbCpu: perWrite('database server'),
      });
      rows.push(
        [
          `Debezium, ${rate}/s offered: writes/s achieved (acknowledged, errors)`,
          `${fmt(figures.achieved)} (${figures.acked}, ${figures.errors})`,
        ],
        [
          `Debezium, ${rate}/s: commit → event p50 / p99`,
          `${fmt(figures.p50)} / ${fmt(figures.p99)} ms (${figures.delivered} of ${figures.acked} arrived)`,
        ],
        [
          `Debezium, ${rate}/s: of which commit → harness produces it, p50 / p99`,
          `${fmt(figures.toHarnessP50)} / ${fmt(figures.toHarnessP99)} ms (wall clocks, 1 ms resolution)`,
        ],
        [`Debezium, ${rate}/s: events per write`, fmt(figures.events / figures.acked, 3)],
        [
          `Debezium, ${rate}/s: CPU-ms per write, database server / Debezium harness`,
          `${fmt(perWrite('database server'), 3)} / ${fmt(perWrite('Debezium harness'), 3)}`,
        ],
      );
    }
    const twice = await writeTwice(db, events, next);
    rows.push([
      `Debezium: key written twice at once (${TWICE_KEYS} keys, two connections): events per key`,
      `${fmt(twice.events / TWICE_KEYS, 2)} (${twice.keysWithTwo} of ${TWICE_KEYS} keys got exactly 2; acks ${fmt(twice.gapP50, 2)} ms apart p50, ${fmt(twice.gapMax, 2)} max, ${twice.withinOneMs} within 1 ms)`,
    ]);
    rows.push(['Debezium: highest offered rate sustained with p99 < 1 s', sustained(debezium)]);

    if (!values['debezium-only'] && dbKind === 'postgres') {
      // The database decodes no WAL for Debezium while WAIL runs: its CPU is WAIL's alone.
      await waitExit(harness, 'SIGTERM', 30_000);
      harness = undefined;
      say('WAIL: starting the repository, a proxy and a consumer on the same database');
      wail = await startWail({
        brokers,
        postgresPort: db.port,
        database: DATABASE,
        createTable: (sql) => db!.exec(sql),
      });
      await sleep(3000);
      const wailSide = wail;
      const wailMeter = new CpuMeter(
        new Map([
          ['database server', () => processTreeCpuMs(serverPid)],
          ['proxy', () => processTreeCpuMs(wailSide.proxyPid)],
          ['consumer', () => processTreeCpuMs(wailSide.consumerPid)],
        ]),
      );
      const wailRates = new Map<number, { achieved: number; p99: number; dbCpu: number }>();
      await offerWrites(rates[0]!, (id, n) => wailSide.upsert(id, n), next, WARM_UP_SECONDS);
      for (const rate of rates) {
        say(`WAIL: offering ${rate} writes/s for ${duration} s`);
        const figures = await runWailRate(wailSide, wailMeter, rate, next);
        const perWrite = (name: string) => (figures.cpu.get(name) ?? NaN) / figures.acked;
        const dbz = debezium.get(rate)!;
        wailRates.set(rate, {
          achieved: figures.achieved,
          p99: figures.p99,
          dbCpu: perWrite('database server'),
        });
        rows.push(
          [
            `WAIL, ${rate}/s offered: writes/s achieved (acknowledged, errors)`,
            `${fmt(figures.achieved)} (${figures.acked}, ${figures.errors})`,
          ],
          [
            `WAIL, ${rate}/s: acknowledgement → event p50 / p99`,
            `${fmt(figures.p50)} / ${fmt(figures.p99)} ms (${figures.delivered} of ${figures.acked} covered by an event at their version or later)`,
          ],
          [`WAIL, ${rate}/s: events per write`, fmt(figures.events / figures.acked, 3)],
          [
            `WAIL, ${rate}/s: CPU-ms per write, database server / proxy / consumer`,
            `${fmt(perWrite('database server'), 3)} / ${fmt(perWrite('proxy'), 3)} / ${fmt(perWrite('consumer'), 3)}`,
          ],
          [
            `${rate}/s: WAIL ÷ Debezium, p99 and database-server CPU per write`,
            `${fmt(figures.p99 / dbz.p99, 2)}× and ${fmt(perWrite('database server') / dbz.dbCpu, 2)}×`,
          ],
        );
      }
      const wailTwice = await writeTwiceThroughWail(wailSide, next);
      rows.push([
        `WAIL: key written twice at once (${TWICE_KEYS} keys, two requests): events per key`,
        `${fmt(wailTwice.events / TWICE_KEYS, 2)} (the later version published for ${wailTwice.latestPublished} of ${TWICE_KEYS} keys; acks ${fmt(wailTwice.gapP50, 2)} ms apart p50, ${wailTwice.withinOneMs} within 1 ms)`,
      ]);
      rows.push(['WAIL: highest offered rate sustained with p99 < 1 s', sustained(wailRates)]);
    }
    say();
    say('| Measure | Value |');
    say('| --- | --- |');
    for (const [measure, value] of rows) say(`| ${measure} | ${value} |`);
    say();
    if (!values['no-results']) {
      record(
        `Debezium comparison, ${dbKind === 'postgres' ? 'PostgreSQL' : 'MariaDB'}`,
        `npx tsx tools/bench/src/debezium.ts ${process.argv.slice(2).join(' ')}`.trim(),
        rows,
        [
          'Debezium: writes go straight to the second database; commit = the client’s acknowledgement, event = arrival at the bench’s consumer of the harness’s topic.',
          'WAIL: the same writes through the proxy to a table of the same database (the harness stopped first); acknowledgement = the proxy’s answer (intent logged, row written), event = arrival of the first event of the key at the write’s version or later.',
          'CPU-ms per write: utime+stime from /proc of the server process tree, of the Java harness, of the proxy and of the consumer, over the load window and the drain, ÷ acknowledged writes.',
          'Debezium 3.6.1’s MySQL connector refuses MariaDB 10.11 (SHOW BINARY LOG STATUS); the MariaDB connector is not served here, so PostgreSQL is the database.',
          'Everything on one 2-core machine, with the local stack running beside it.',
          `Each side first takes ${WARM_UP_SECONDS} s of the lowest rate, not counted (warm connections, caches and topic metadata).`,
        ],
      );
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
