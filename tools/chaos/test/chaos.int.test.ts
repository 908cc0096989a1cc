import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/cluster';
import { PROFILES, formatReport, runChaos, violationCount } from '../src/run';

/**
 * The short chaos configuration, in both delivery modes: faults while writes
 * flow, then every check over everything observed. This suite stops Kafka and
 * MariaDB, so `npm test` runs it after every other suite, alone.
 *
 * Events are read with transactions resolved from their markers
 * (`resolveTransactionsByMarkers`): kafkajs' own read_committed filter leaks
 * aborted records when several producers' aborted transactions interleave,
 * which would show up as duplicates that Kafka never committed.
 */
describe.each(['at-least-once', 'exactly-once'] as const)('chaos, %s', (delivery) => {
  it('keeps every promise under faults', async () => {
    // Every service's log is kept beside jest's results; on a violation the
    // consumers' warnings and errors are printed, since CI keeps only its output.
    const logDir = join(repoRoot, 'reports', 'chaos', `logs-${delivery}`);
    mkdirSync(logDir, { recursive: true });
    const report = await runChaos({
      ...PROFILES.short,
      delivery,
      seed: Math.floor(Math.random() * 2 ** 31),
      visibilityWindowMs: 8000,
      quiesceTimeoutS: 180,
      logDir,
      say: () => undefined,
    });
    const table = formatReport(report);
    process.stdout.write(`\nchaos, ${delivery}:\n${table}\n`);
    // Kept next to jest's JSON results: the console output of a forced exit can be cut.
    const reports = join(repoRoot, 'reports', 'chaos');
    mkdirSync(reports, { recursive: true });
    writeFileSync(join(reports, `${delivery}.md`), `${table}\n`);
    if (violationCount(report) > 0) process.stdout.write(consumerWarnings(logDir));
    expect(report.faults.length).toBeGreaterThanOrEqual(3);
    expect(report.acked).toBeGreaterThan(500);
    expect(report.examples).toEqual([]);
    expect(violationCount(report)).toBe(0);
    if (delivery === 'exactly-once') expect(report.duplicates).toBe(0);
  }, 900_000);
});

/** The consumers' warnings and errors (pino levels ≥ 40), the last 80 lines of each. */
function consumerWarnings(logDir: string): string {
  if (!existsSync(logDir)) return '';
  return readdirSync(logDir)
    .filter((file) => file.startsWith('consumer'))
    .map((file) => {
      const lines = readFileSync(join(logDir, file), 'utf8')
        .split('\n')
        .filter((line) => /"level":(4|5|6)0/.test(line));
      return `\n--- ${file}: ${lines.length} warnings/errors, the last 80 ---\n${lines.slice(-80).join('\n')}\n`;
    })
    .join('');
}
