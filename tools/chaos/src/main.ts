import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, type Delivery } from './cluster';
import { FAULTS, type Fault } from './faults';
import { PROFILES, formatReport, runChaos, violationCount } from './run';

const USAGE = `usage: npm run chaos -- [options]

  --profile short|long     short: 45 s, no Cassandra restart (CI); long: 480 s, every fault (default short)
  --delivery at-least-once|exactly-once|both   (default both)
  --duration <s>           override the profile's duration
  --faults a,b,...         override the profile's faults (${FAULTS.join(', ')})
  --writers <n>            concurrent writers (default from the profile)
  --batch <n>              mutations per request; 1 = single endpoint (short: 1, long: 5)
  --hostile <n>            misbehaving clients beside the workload (short: 2, long: 3; 0 = off)
  --seed <n>               seed of the workload and fault choices (default: random)
  --logs <dir>             keep every service's log in <dir>
  --no-results             do not append the report to tools/chaos/results.md

Exits 1 when any check finds a violation.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'short' },
      delivery: { type: 'string', default: 'both' },
      duration: { type: 'string' },
      faults: { type: 'string' },
      writers: { type: 'string' },
      batch: { type: 'string' },
      hostile: { type: 'string' },
      seed: { type: 'string' },
      logs: { type: 'string' },
      'no-results': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const profile = PROFILES[values.profile as keyof typeof PROFILES];
  if (!profile) throw new Error(`unknown profile "${values.profile}"\n${USAGE}`);
  const deliveries: Delivery[] =
    values.delivery === 'both'
      ? ['at-least-once', 'exactly-once']
      : values.delivery === 'at-least-once' || values.delivery === 'exactly-once'
        ? [values.delivery]
        : (() => {
            throw new Error(`unknown delivery "${values.delivery}"\n${USAGE}`);
          })();
  const faults = values.faults
    ? values.faults.split(',').map((fault) => {
        if (!(FAULTS as readonly string[]).includes(fault))
          throw new Error(`unknown fault "${fault}"\n${USAGE}`);
        return fault as Fault;
      })
    : profile.faults;
  const number = (text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a whole number: ${text}`);
    return n;
  };
  let failures = 0;
  for (const delivery of deliveries) {
    const seed = number(values.seed, Math.floor(Math.random() * 2 ** 31));
    const report = await runChaos({
      delivery,
      durationS: number(values.duration, profile.durationS),
      faults,
      faultGapS: profile.faultGapS,
      minFaults: profile.minFaults,
      writers: number(values.writers, profile.writers),
      batch: Math.max(1, number(values.batch, profile.batch)),
      contentionWriters: profile.contentionWriters,
      contentionBatch: profile.contentionBatch,
      hostileClients: number(values.hostile, profile.hostileClients),
      calmS: profile.calmS,
      seed,
      visibilityWindowMs: 8000,
      quiesceTimeoutS: 180,
      logDir: values.logs,
      say: (line) => process.stdout.write(`${line}\n`),
    });
    const table = formatReport(report);
    process.stdout.write(`\n${table}\n\n`);
    if (!values['no-results']) {
      const file = join(repoRoot, 'tools', 'chaos', 'results.md');
      if (!existsSync(file))
        writeFileSync(file, '# Chaos runs\n\nAppended by `npm run chaos`; newest last.\n');
      appendFileSync(
        file,
        `\n## ${new Date().toISOString()} — ${delivery}\n\n` +
          `\`npm run chaos -- ${process.argv.slice(2).join(' ')}\` (seed ${seed}; ${cpus().length} cores)\n\n${table}\n`,
      );
    }
    failures += violationCount(report);
  }
  return failures > 0 ? 1 : 0;
}

// Interrupted: take the services this run started down with it (its database,
// keyspace and topics stay, named wail_chaos_*, for a look at what happened).
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    spawnSync('pkill', ['-TERM', '-P', String(process.pid)]);
    process.exit(130);
  });

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
