import { NotReadyError, Readiness, readinessReason } from './readiness';

const up = (name: string) => ({ name, check: async () => undefined });
const down = (name: string, error: unknown) => ({
  name,
  check: async () => {
    throw error;
  },
});
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:3306 (user s3cret-user)'), {
    code: 'ECONNREFUSED',
  });

describe('Readiness', () => {
  it('is ready only when every dependency is up', async () => {
    expect((await new Readiness([up('kafka'), up('mysql')]).evaluate()).ready).toBe(true);
    const report = await new Readiness([up('kafka'), down('mysql', refused())]).evaluate();
    expect(report.ready).toBe(false);
    expect(report.checks['mysql']).toMatchObject({
      status: 'down',
      error: 'mysql: unavailable (ECONNREFUSED)',
    });
    expect(report.checks['kafka']).toMatchObject({ status: 'up' });
  });

  it('counts a check that never answers as down after its timeout', async () => {
    const hung = { name: 'cassandra', check: () => new Promise<void>(() => undefined) };
    const report = await new Readiness([hung], { timeoutMs: 50 }).evaluate();
    expect(report.checks['cassandra']).toMatchObject({
      status: 'down',
      error: 'cassandra: no answer within 50 ms',
    });
  });

  it('reports unready while draining even when dependencies are up', async () => {
    const readiness = new Readiness([up('kafka')], { cacheMs: 0 });
    readiness.startDraining();
    expect(await readiness.evaluate()).toMatchObject({ ready: false, draining: true });
  });

  it('reuses a recent result instead of probing again', async () => {
    let calls = 0;
    const counted = { name: 'kafka', check: async () => void calls++ };
    const readiness = new Readiness([counted], { cacheMs: 1000 });
    await readiness.evaluate(1_000);
    await readiness.evaluate(1_500);
    await readiness.evaluate(2_100);
    expect(calls).toBe(2);
  });

  it('never shows a driver message, only the dependency and a code', async () => {
    const secretive = new Error('Access denied for user app@10.0.0.7 with mysql://app:pw@db');
    const report = await new Readiness([down('mysql', secretive)]).evaluate();
    expect(report.checks['mysql']?.error).toBe('mysql: unavailable');
    expect(JSON.stringify(report)).not.toMatch(/denied|10\.0\.0\.7|pw/);
  });

  it('logs a dependency going down once, with its details, and coming back', async () => {
    const lines: { msg: string; reason?: string }[] = [];
    const logger = {
      warn: (object: { reason: string }, msg: string) => lines.push({ msg, ...object }),
      info: (_object: unknown, msg: string) => lines.push({ msg }),
    };
    let failing = true;
    const flaky = {
      name: 'kafka',
      check: async () => {
        if (failing) throw refused();
      },
    };
    const readiness = new Readiness([flaky], { cacheMs: 0, logger: logger as never });
    await readiness.evaluate();
    await readiness.evaluate();
    failing = false;
    await readiness.evaluate();
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'dependency down', reason: 'unavailable (ECONNREFUSED)' }),
      { msg: 'dependency is back' },
    ]);
  });
});

describe('readinessReason', () => {
  it('names the deepest code along the causes (a Kafka retry wrapping a refused connection)', () => {
    const connection = Object.assign(new Error('Connection error: 10.0.0.7:9092'), {
      code: 'ECONNREFUSED',
    });
    const retries = new Error('retries exceeded', { cause: connection });
    expect(readinessReason(retries)).toBe('unavailable (ECONNREFUSED)');
  });

  it("reads a Cassandra driver's per-host errors", () => {
    const noHost = Object.assign(new Error('All host(s) tried for query failed. 10.0.0.7'), {
      innerErrors: { '10.0.0.7:9042': refused() },
    });
    expect(readinessReason(noHost)).toBe('unavailable (ECONNREFUSED)');
  });

  it("keeps a check's own words and adds the code of its cause", () => {
    expect(readinessReason(new NotReadyError('not migrated yet', { cause: refused() }))).toBe(
      'not migrated yet (ECONNREFUSED)',
    );
    expect(readinessReason(new NotReadyError('not migrated yet'))).toBe('not migrated yet');
  });

  it('ignores codes that are not constants (a driver may put text there)', () => {
    expect(readinessReason(Object.assign(new Error('x'), { code: 'mysql://u:pw@h' }))).toBe(
      'unavailable',
    );
  });
});
