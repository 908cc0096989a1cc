import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Type } from 'avsc';
import { KafkaClient, PartitionConsumer } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';

export const repoRoot = join(__dirname, '..', '..', '..');
const resultsFile = join(repoRoot, 'tools', 'bench', 'results.md');

/** The bench table's data model (`items`: id, name, qty), shared by the benchmarks. */
export const ITEM_SCHEMA = {
  type: 'record',
  name: 'Item',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: ['null', 'string'], default: null },
    { name: 'qty', type: ['null', 'int'], default: null },
  ],
};

export const say = (line = '') => process.stdout.write(`${line}\n`);

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts one of our services as its own process, as in production, and waits for /readyz. */
export async function startService(
  entry: string,
  env: NodeJS.ProcessEnv,
  readyUrl: string,
  /** Extra node flags, e.g. ['--cpu-prof'] to profile a service under load. */
  nodeArgs: readonly string[] = [],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, WAIL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', process.env['WAIL_BENCH_SERVICE_LOGS'] ? 'inherit' : 'ignore', 'inherit'],
  });
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    try {
      if ((await fetch(readyUrl)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${entry} not ready`);
}

export function stopService(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  total: number;
}

export async function load(options: autocannon.Options): Promise<LoadFigures> {
  const result = await autocannon(options);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

/** One acknowledged write of an offered load: which it was, when it was acknowledged, what it answered. */
export interface OfferedAck<T> {
  index: number;
  /** performance.now() */
  at: number;
  /** Date.now() */
  wallAt: number;
  result: T;
}

/**
 * Offers `rate` writes/s for `seconds`, evenly paced (checked every
 * millisecond), with at most `connections` in flight: an open-loop load like
 * wrk2's, so a latency is read at a steady rate. When all connections are
 * busy the writes that fell due go out together as they free up (latencies
 * count from each acknowledgement, not from when a write fell due). autocannon's `overallRate`
 * is not that: each connection fires as fast as it can until its quota for
 * the second is used, then waits for the next second — bursts at full speed.
 */
export async function offerLoad<T>(options: {
  rate: number;
  seconds: number;
  connections: number;
  write: (index: number) => Promise<T>;
}): Promise<{ acks: OfferedAck<T>[]; errors: number; elapsed: number }> {
  const { rate, seconds, connections, write } = options;
  const acks: OfferedAck<T>[] = [];
  let errors = 0;
  let inFlight = 0;
  let issued = 0;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let lastAck = started;
  const pending = new Set<Promise<void>>();
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    while (issued < due && inFlight < connections) {
      const index = issued++;
      inFlight++;
      const done = write(index)
        .then(
          (result) => {
            lastAck = performance.now();
            acks.push({ index, at: lastAck, wallAt: Date.now(), result });
          },
          () => {
            errors++;
          },
        )
        .finally(() => {
          inFlight--;
          pending.delete(done);
        });
      pending.add(done);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { acks, errors, elapsed: (lastAck - started) / 1000 };
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Appends a section to tools/bench/results.md: when, the command, the machine, a table. */
export function record(
  title: string,
  command: string,
  rows: [string, string][],
  notes: string[] = [],
): void {
  if (!existsSync(resultsFile)) {
    writeFileSync(
      resultsFile,
      '# Benchmark results\n\nEach section is appended by the command it names. Newest last.\n',
    );
  }
  const lines = [
    '',
    `## ${title} — ${new Date().toISOString()}`,
    '',
    `Command: \`${command}\`  `,
    `Machine: ${machine()}`,
    '',
    '| Measure | Value |',
    '| --- | --- |',
    ...rows.map(([measure, value]) => `| ${measure} | ${value} |`),
    ...(notes.length > 0 ? ['', ...notes.map((note) => `- ${note}`)] : []),
    '',
  ];
  appendFileSync(resultsFile, lines.join('\n'));
  say(`results appended to ${resultsFile}`);
}

/** The q-quantile of sorted numbers (NaN for none). */
export const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The sum of a metric's series on a service's /metrics. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Follows an event topic and records when each version arrived. */
/**
 * Decodes WAIL events (Confluent wire format: magic byte, schema id, Avro),
 * each writer schema fetched from the repository once.
 */
export function eventDecoder<T>(repositoryUrl: string): (value: Buffer) => Promise<T> {
  const types = new Map<number, Type>();
  return async (value) => {
    const id = value.readInt32BE(1);
    let type = types.get(id);
    if (!type) {
      const body = (await (await fetch(`${repositoryUrl}/schemas/ids/${id}`)).json()) as {
        schema: string;
      };
      type = Type.forSchema(JSON.parse(body.schema));
      types.set(id, type);
    }
    return type.fromBuffer(value.subarray(5)) as T;
  };
}

export async function followEvents(brokers: string[], topic: string, repositoryUrl: string) {
  const arrivals = new Map<number, number>();
  const kafka = new KafkaClient({ brokers, clientId: 'wail-bench-events', logger: silentLogger() });
  const decode = eventDecoder<{ version: number }>(repositoryUrl);
  const consumer = new PartitionConsumer(kafka, {
    groupId: `wail-bench-events-${Date.now()}`,
    logger: silentLogger(),
    fromBeginning: false,
    onBatch: async (batch) => {
      const now = performance.now();
      for (const record of batch.records) {
        const event = await decode(record.value!);
        arrivals.set(Number(event.version), now);
      }
    },
  });
  await consumer.setTopics([topic]);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return { arrivals, stop: () => consumer.stop().then(() => kafka.close()) };
}
