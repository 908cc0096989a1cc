import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time of whole processes, from /proc (Linux only): what each process of
 * a run spent, so a benchmark can say "CPU-ms per write" for the proxy, the
 * consumer, Kafka, the database server and the load generator side by side.
 */

/** Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on Linux/x86). */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** Own user + system ticks. */
  own: number;
  /** Ticks of children already waited for (the postmaster reaps PostgreSQL's backends). */
  reaped: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces: split after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  return {
    pid,
    ppid: Number(fields[1]),
    own: Number(fields[11]) + Number(fields[12]),
    reaped: Number(fields[13]) + Number(fields[14]),
  };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/**
 * CPU milliseconds a process and its descendants have used so far: its own,
 * its reaped children's, and each live descendant's.
 */
export function processTreeCpuMs(root: number): number {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    const list = children.get(stat.ppid) ?? [];
    list.push(stat);
    children.set(stat.ppid, list);
  }
  const rootStat = stats.find((stat) => stat.pid === root);
  if (!rootStat) return NaN;
  let ticks = rootStat.own + rootStat.reaped;
  const pending = [...(children.get(root) ?? [])];
  while (pending.length > 0) {
    const stat = pending.pop()!;
    ticks += stat.own + stat.reaped;
    pending.push(...(children.get(stat.pid) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The pid listening on a TCP port of this machine, from `ss` (undefined when none is found). */
export function listenerPid(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`]).toString();
    const match = /pid=(\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU-ms of this process (the load generator runs in it): user + system. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** A set of named processes sampled together: `start()`, the load, then `stop()` gives each one's CPU-ms. */
export class CpuMeter {
  private before = new Map<string, number>();

  constructor(private readonly processes: ReadonlyMap<string, () => number>) {}

  start(): void {
    this.before = new Map([...this.processes].map(([name, read]) => [name, read()]));
  }

  /** CPU-ms each process spent since `start()`. */
  stop(): Map<string, number> {
    return new Map(
      [...this.processes].map(([name, read]) => [name, read() - (this.before.get(name) ?? NaN)]),
    );
  }
}

/**
 * Waits until a process spends under `share` of one core over a second (at
 * most `timeoutMs`): a database still flushing or compacting what the last
 * phase wrote would charge that work to the next phase's writes. Resolves
 * with the seconds waited and whether it went quiet (else the wait timed out).
 */
export async function settle(
  cpuMs: () => number,
  share = 0.05,
  timeoutMs = 30_000,
): Promise<{ seconds: number; quiet: boolean }> {
  const started = performance.now();
  for (;;) {
    const before = cpuMs();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const spent = cpuMs() - before;
    const seconds = (performance.now() - started) / 1000;
    if (spent < share * 1000) return { seconds, quiet: true };
    if (seconds * 1000 > timeoutMs || !Number.isFinite(spent)) return { seconds, quiet: false };
  }
}
