import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEnv, waitFor } from '@wail/testing';
import { stack, type Cluster } from './cluster';

export const FAULTS = [
  'consumer-kill',
  'proxy-kill',
  'gateway-kill',
  'rebalance',
  'kafka-restart',
  'mysql-restart',
  'postgres-restart',
  'redis-restart',
  'cassandra-restart',
] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultContext {
  cluster: Cluster;
  random: () => number;
  say: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (random: () => number, min: number, max: number) =>
  Math.round(min + random() * (max - min));

const MARIADBD = '/usr/sbin/mariadbd';
const PG_CTLCLUSTER = '/usr/bin/pg_ctlcluster';
/** The machine's PostgreSQL cluster (version and name, as `pg_lsclusters` lists it). */
const PG_CLUSTER = (process.env['WAIL_CHAOS_PG_CLUSTER'] ?? '15 main').split(' ');

/** Why a fault cannot be injected on this machine, or undefined when it can. */
export function unavailable(fault: Fault): string | undefined {
  const env = process.env;
  if (fault === 'kafka-restart' && env['WAIL_KAFKA_BROKERS'])
    return 'Kafka is external (WAIL_KAFKA_BROKERS)';
  if (fault === 'cassandra-restart' && env['WAIL_CASSANDRA_CONTACT_POINTS'])
    return 'Cassandra is external (WAIL_CASSANDRA_CONTACT_POINTS)';
  if (fault === 'mysql-restart') {
    if (env['WAIL_MYSQL_URL']) return 'MySQL is external (WAIL_MYSQL_URL)';
    if (!existsSync(MARIADBD)) return `no local MariaDB server at ${MARIADBD}`;
  }
  if (fault === 'postgres-restart') {
    if (env['WAIL_POSTGRES_URL']) return 'PostgreSQL is external (WAIL_POSTGRES_URL)';
    if (!existsSync(PG_CTLCLUSTER)) return `no ${PG_CTLCLUSTER} to restart the local PostgreSQL`;
  }
  if (fault === 'redis-restart' && env['WAIL_REDIS_URL'])
    return 'Redis is external (WAIL_REDIS_URL)';
  return undefined;
}

/** A stack that did not start a server leaves it running on `down`: then the fault did not happen. */
async function expectDown(what: string, address: string): Promise<void> {
  const [host = '127.0.0.1', port = '0'] = address.split(':');
  const open = await new Promise<boolean>((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
  if (open)
    throw new Error(
      `${what} still answers at ${address} after \`stack down\`: it was not started by this checkout's stack (WAIL_HOME), so it cannot be restarted`,
    );
}

/** `npm run stack -- down <service>`, a pause, `up <service>`: what an operator's restart looks like. */
async function restartThroughStack(
  service: string,
  what: string,
  address: string,
  random: () => number,
): Promise<string> {
  await stack('down', service);
  await expectDown(what, address);
  const down = between(random, 1000, 5000);
  await sleep(down);
  await stack('up', service);
  return `${what} stopped for ${down} ms (plus its restart)`;
}

/** Injects one fault and undoes it; resolves when the system is whole again (or, for processes, restarted). */
export async function inject(fault: Fault, context: FaultContext): Promise<string> {
  const { cluster, random } = context;
  switch (fault) {
    case 'consumer-kill':
    case 'proxy-kill': {
      const name = `${fault === 'proxy-kill' ? 'proxy' : 'consumer'}-${random() < 0.5 ? 1 : 2}`;
      await cluster.kill(name);
      const down = between(random, 200, 3000);
      await sleep(down);
      await cluster.start(name);
      return `SIGKILL ${name}, restarted after ${down} ms`;
    }
    case 'gateway-kill': {
      // The subscribers' streams break; they reconnect (SSE) or are retried (webhook).
      await cluster.kill('gateway');
      const down = between(random, 200, 3000);
      await sleep(down);
      await cluster.start('gateway');
      return `SIGKILL gateway, restarted after ${down} ms`;
    }
    case 'rebalance': {
      // A third member joins (partitions move to it) and leaves (they move back).
      await cluster.start('consumer-3');
      const stay = between(random, 2000, 6000);
      await sleep(stay);
      await cluster.stop('consumer-3');
      return `consumer-3 joined for ${stay} ms, then left`;
    }
    case 'kafka-restart':
      return restartThroughStack('kafka', 'Kafka', stackEnv().kafkaBrokers[0]!, random);
    case 'mysql-restart': {
      // The server of the stack's MySQL port only: other MariaDB servers on
      // the machine (the stack's mysql-secure, a benchmark's) are not ours to kill.
      const port = Number(new URL(stackEnv().mysqlUrl).port || 3306);
      const pid = listeningPid(port);
      if (pid === undefined) throw new Error(`nothing listens on MySQL port ${port}`);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !alive(pid), { timeoutMs: 10_000, what: `mariadbd (pid ${pid}) to die` });
      const down = between(random, 1000, 5000);
      await sleep(down);
      // As the machine's service manager would: the server restarts without a
      // pid file of the stack's. A throw-away pid file of its own, so that
      // start-stop-daemon does not take another mariadbd (mysql-secure) for it.
      const pidFile = join(tmpdir(), `wail-chaos-mariadbd-${process.pid}.pid`);
      execFileSync('start-stop-daemon', [
        '--start',
        '--background',
        '--make-pidfile',
        '--pidfile',
        pidFile,
        '--exec',
        MARIADBD,
      ]);
      await waitFor(
        async () => {
          await cluster.mysql.ping();
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `MariaDB at ${stackEnv().mysqlUrl}` },
      );
      // Written by start-stop-daemon's child, maybe after it returned: removed once the server answers.
      rmSync(pidFile, { force: true });
      return `MariaDB SIGKILLed, restarted after ${down} ms`;
    }
    case 'postgres-restart': {
      // An immediate stop is a crash: every backend killed, no checkpoint, recovery on start.
      execFileSync(PG_CTLCLUSTER, [...PG_CLUSTER, 'stop', '-m', 'immediate']);
      const down = between(random, 1000, 5000);
      await sleep(down);
      execFileSync(PG_CTLCLUSTER, [...PG_CLUSTER, 'start']);
      await waitFor(
        async () => {
          await cluster.postgres.query(cluster.postgres.defaultDatabase, 'SELECT 1');
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `PostgreSQL at ${stackEnv().postgresUrl}` },
      );
      return `PostgreSQL crashed (immediate stop), restarted after ${down} ms`;
    }
    case 'redis-restart': {
      // The machine's Redis keeps nothing on disk: a real restart would lose every row, which
      // no change-capture system survives. What clients see of a restart without the loss:
      // every connection dropped and the server silent until it is back.
      const down = between(random, 1000, 5000);
      // Back to back on one connection; the pause holds the issuer too, so it goes last.
      await cluster.redis
        .pipeline()
        .client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
        .client('PAUSE', down, 'ALL')
        .exec();
      await sleep(down);
      return `Redis dropped every connection and answered nothing for ${down} ms`;
    }
    case 'cassandra-restart':
      return restartThroughStack(
        'cassandra',
        'Cassandra',
        stackEnv().cassandraContactPoints[0]!,
        random,
      );
  }
}

/** The pid of the process listening on a TCP port of this machine (ss), if any. */
export function listeningPid(port: number): number | undefined {
  const listing = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const match = /pid=(\d+)/.exec(listing.stdout ?? '');
  return match ? Number(match[1]) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
